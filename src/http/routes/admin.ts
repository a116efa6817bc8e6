// /v1/admin/* (docs/api.md#admin-api--v1admin): provenance views and actions behind the admin
// token. Every answer is `Cache-Control: no-store`: it is live state, and it is an admin's.
import { Hono } from 'hono'
import {
  collectGarbageNow,
  forgetTemplate,
  pinTemplate,
  refreshTemplate,
  unpinTemplate,
  verifyStoreNow,
} from '../../admin/actions.js'
import {
  listTemplates,
  queueView,
  storeView,
  templateDetail,
  templateView,
} from '../../admin/views.js'
import { unknownTemplate } from '../../errors.js'
import { adminDeps } from '../deps.js'
import type { AppEnv } from '../env.js'
import { adminAuth } from '../middleware/admin-auth.js'
import { jsonBody, paramsOf, queryOf } from '../middleware/validate.js'
import { gcBody, listQuery, pinBody, refreshBody, templateNameParam } from '../openapi/requests.js'

const NO_STORE = { 'Cache-Control': 'no-store' }

export const adminRoutes = new Hono<AppEnv>()
  .use(adminAuth)
  .get('/templates', (c) =>
    c.json({ templates: listTemplates(c.var.deps), store: storeView(c.var.deps) }, 200, NO_STORE),
  )
  .get('/templates/:name', (c) => {
    const { name } = paramsOf(c, templateNameParam)
    const { limit } = queryOf(c, listQuery)
    const detail = templateDetail(c.var.deps, name, limit)
    if (!detail) throw unknownTemplate(name)
    return c.json(detail, 200, NO_STORE)
  })
  .get('/templates/:name/versions', (c) => {
    const { name } = paramsOf(c, templateNameParam)
    const { limit } = queryOf(c, listQuery)
    const detail = templateDetail(c.var.deps, name, limit)
    if (!detail) throw unknownTemplate(name)
    return c.json({ versions: detail.versions }, 200, NO_STORE)
  })
  .delete('/templates/:name', (c) => {
    const { name } = paramsOf(c, templateNameParam)
    return c.json(forgetTemplate(c.var.deps, name), 200, NO_STORE)
  })
  .post('/templates/:name/refresh', async (c) => {
    const { name } = paramsOf(c, templateNameParam)
    const { force } = await jsonBody(c, refreshBody)
    const { job, created } = refreshTemplate(adminDeps(c.var.deps, c.var.metrics), name, force)
    return c.json({ status: 'queued', jobId: job.id, created }, 202, NO_STORE)
  })
  .put('/templates/:name/pin', async (c) => {
    const { name } = paramsOf(c, templateNameParam)
    const { digest } = await jsonBody(c, pinBody)
    pinTemplate(adminDeps(c.var.deps, c.var.metrics), name, digest)
    return c.json(templateView(c.var.deps, c.var.deps.index.templates.get(name)!), 200, NO_STORE)
  })
  .delete('/templates/:name/pin', (c) => {
    const { name } = paramsOf(c, templateNameParam)
    unpinTemplate(adminDeps(c.var.deps, c.var.metrics), name)
    return c.json(templateView(c.var.deps, c.var.deps.index.templates.get(name)!), 200, NO_STORE)
  })
  .get('/jobs', (c) => {
    const { limit } = queryOf(c, listQuery)
    return c.json(queueView(c.var.deps, limit), 200, NO_STORE)
  })
  .get('/deliveries', (c) => {
    const { limit } = queryOf(c, listQuery)
    return c.json({ deliveries: c.var.deps.index.deliveries.list(limit) }, 200, NO_STORE)
  })
  .get('/store', (c) => c.json(storeView(c.var.deps), 200, NO_STORE))
  .post('/verify', async (c) => {
    const report = await verifyStoreNow(adminDeps(c.var.deps, c.var.metrics))
    return c.json(report, 200, NO_STORE)
  })
  .post('/gc', async (c) => {
    const { budget, dryRun } = await jsonBody(c, gcBody)
    const report = await collectGarbageNow(adminDeps(c.var.deps, c.var.metrics), {
      ...(budget !== undefined ? { budgetBytes: budget } : {}),
      ...(dryRun !== undefined ? { dryRun } : {}),
    })
    return c.json(report, 200, NO_STORE)
  })
