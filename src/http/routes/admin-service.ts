// /v1/admin/{jobs,deliveries,store,verify,gc} (docs/api.md#admin-api--v1admin): the service's
// own state and maintenance. Mounted by admin.ts behind its admin token check, never on its own.
import { Hono } from 'hono'
import { collectGarbageNow, verifyStoreNow } from '../../admin/actions.js'
import { queueView, storeView } from '../../admin/service-views.js'
import { adminDeps } from '../deps.js'
import type { AppEnv } from '../env.js'
import { jsonBody, queryOf } from '../middleware/validate.js'
import { gcBody, listQuery } from '../openapi/requests.js'
import {
  deliveryList,
  gcReport,
  queueBody,
  storeBody,
  verifyReport,
} from '../openapi/responses-admin.js'
import {
  adminAuthErrors,
  bodyErrors,
  json,
  NO_STORE,
  queryErrors,
  type RouteSpec,
} from '../openapi/route-spec.js'

export const adminServiceRoutes = new Hono<AppEnv>()
  .get('/jobs', (c) => {
    const { limit } = queryOf(c, listQuery)
    return c.json(queueView(c.var.deps, limit), 200)
  })
  .get('/deliveries', (c) => {
    const { limit } = queryOf(c, listQuery)
    return c.json({ deliveries: c.var.deps.index.deliveries.list(limit) }, 200)
  })
  .get('/store', (c) => c.json(storeView(c.var.deps), 200))
  .post('/verify', async (c) => {
    const report = await verifyStoreNow(adminDeps(c.var.deps))
    return c.json(report, 200)
  })
  .post('/gc', async (c) => {
    const { budget, dryRun } = await jsonBody(c, gcBody)
    const report = await collectGarbageNow(adminDeps(c.var.deps), {
      ...(budget !== undefined ? { budgetBytes: budget } : {}),
      ...(dryRun !== undefined ? { dryRun } : {}),
    })
    return c.json(report, 200)
  })

export const adminServiceOperations: readonly RouteSpec[] = [
  {
    method: 'get',
    path: '/v1/admin/jobs',
    operationId: 'adminListJobs',
    summary: 'The job queue',
    tag: 'admin',
    security: 'admin',
    query: listQuery,
    responses: {
      200: json('queue depth and jobs by state', queueBody, NO_STORE),
      400: queryErrors,
      ...adminAuthErrors,
    },
  },
  {
    method: 'get',
    path: '/v1/admin/deliveries',
    operationId: 'adminListDeliveries',
    summary: 'Recent webhook deliveries',
    tag: 'admin',
    security: 'admin',
    query: listQuery,
    responses: {
      200: json('deliveries, newest first', deliveryList, NO_STORE),
      400: queryErrors,
      ...adminAuthErrors,
    },
  },
  {
    method: 'get',
    path: '/v1/admin/store',
    operationId: 'adminGetStore',
    summary: 'Store usage against the byte budget',
    tag: 'admin',
    security: 'admin',
    responses: { 200: json('store usage', storeBody, NO_STORE), ...adminAuthErrors },
  },
  {
    method: 'post',
    path: '/v1/admin/verify',
    operationId: 'adminVerifyStore',
    summary: 'Re-hash every blob; quarantine corrupt ones and queue their templates',
    tag: 'admin',
    security: 'admin',
    responses: { 200: json('the verify report', verifyReport, NO_STORE), ...adminAuthErrors },
  },
  {
    method: 'post',
    path: '/v1/admin/gc',
    operationId: 'adminCollectGarbage',
    summary: 'Evict least recently served bundles down to a byte budget',
    description:
      'Never removes a current or pinned bundle, or one of the newest ASSET_CACHE_KEEP_VERSIONS ' +
      'ready versions of a template. An empty body counts as `{}`.',
    tag: 'admin',
    security: 'admin',
    body: { schema: gcBody, required: false },
    responses: {
      200: json('the GC report', gcReport, NO_STORE),
      400: bodyErrors,
      ...adminAuthErrors,
    },
  },
]
