// /v1/admin/* (docs/api.md#admin-api--v1admin): provenance views and actions behind the admin
// token; the templates' routes here, the queue, deliveries, store, verify and GC in
// admin-service.ts (mounted below, behind the same token check). Every answer is
// `Cache-Control: no-store`: it is live state, and it is an admin's.
import { Hono } from 'hono'
import { forgetTemplate, pinTemplate, refreshTemplate, unpinTemplate } from '../../admin/actions.js'
import { storeView } from '../../admin/service-views.js'
import { listTemplates, templateDetail, templateView } from '../../admin/views.js'
import { unknownTemplate } from '../../errors.js'
import { adminDeps } from '../deps.js'
import type { AppEnv } from '../env.js'
import { adminAuth } from '../middleware/admin-auth.js'
import { noStore } from '../middleware/no-store.js'
import { jsonBody, paramsOf, queryOf } from '../middleware/validate.js'
import { listQuery, pinBody, refreshBody, templateNameParam } from '../openapi/requests.js'
import {
  adminTemplate,
  adminTemplateDetail,
  adminTemplateList,
  adminVersionList,
  forgetAnswer,
  refreshAnswer,
} from '../openapi/responses-admin.js'
import {
  adminAuthErrors,
  bodyErrors,
  error,
  json,
  NO_STORE,
  queryErrors,
  type RouteSpec,
} from '../openapi/route-spec.js'
import { adminServiceRoutes } from './admin-service.js'

export const adminRoutes = new Hono<AppEnv>()
  .use(noStore, adminAuth)
  .get('/templates', (c) =>
    c.json({ templates: listTemplates(c.var.deps), store: storeView(c.var.deps) }, 200),
  )
  .get('/templates/:name', (c) => {
    const { name } = paramsOf(c, templateNameParam)
    const { limit } = queryOf(c, listQuery)
    const detail = templateDetail(c.var.deps, name, limit)
    if (!detail) throw unknownTemplate(name)
    return c.json(detail, 200)
  })
  .get('/templates/:name/versions', (c) => {
    const { name } = paramsOf(c, templateNameParam)
    const { limit } = queryOf(c, listQuery)
    const detail = templateDetail(c.var.deps, name, limit)
    if (!detail) throw unknownTemplate(name)
    return c.json({ versions: detail.versions }, 200)
  })
  .delete('/templates/:name', (c) => {
    const { name } = paramsOf(c, templateNameParam)
    return c.json(forgetTemplate(c.var.deps, name), 200)
  })
  .post('/templates/:name/refresh', async (c) => {
    const { name } = paramsOf(c, templateNameParam)
    const { force } = await jsonBody(c, refreshBody)
    const { job, created } = refreshTemplate(adminDeps(c.var.deps), name, force)
    return c.json({ status: 'queued', jobId: job.id, created }, 202)
  })
  .put('/templates/:name/pin', async (c) => {
    const { name } = paramsOf(c, templateNameParam)
    const { digest } = await jsonBody(c, pinBody)
    pinTemplate(adminDeps(c.var.deps), name, digest)
    return c.json(templateView(c.var.deps, c.var.deps.index.templates.get(name)!), 200)
  })
  .delete('/templates/:name/pin', (c) => {
    const { name } = paramsOf(c, templateNameParam)
    unpinTemplate(adminDeps(c.var.deps), name)
    return c.json(templateView(c.var.deps, c.var.deps.index.templates.get(name)!), 200)
  })
  .route('/', adminServiceRoutes)

export const adminOperations: readonly RouteSpec[] = [
  {
    method: 'get',
    path: '/v1/admin/templates',
    operationId: 'adminListTemplates',
    summary: 'Every template with health, served version, pin, last error and active job',
    tag: 'admin',
    security: 'admin',
    responses: {
      200: json('templates and store usage', adminTemplateList, NO_STORE),
      ...adminAuthErrors,
    },
  },
  {
    method: 'get',
    path: '/v1/admin/templates/{name}',
    operationId: 'adminGetTemplate',
    summary: 'One template: versions with provenance, served files, jobs, deliveries',
    tag: 'admin',
    security: 'admin',
    params: templateNameParam,
    query: listQuery,
    responses: {
      200: json('the template in detail', adminTemplateDetail, NO_STORE),
      400: queryErrors,
      ...adminAuthErrors,
      404: error('no such template', 'UNKNOWN_TEMPLATE'),
    },
  },
  {
    method: 'delete',
    path: '/v1/admin/templates/{name}',
    operationId: 'adminForgetTemplate',
    summary: 'Forget an untracked template',
    description:
      'Deletes a template the manifest does not track (ingested by hand, or removed from the ' +
      'manifest) with its versions and jobs. Bundles no other version keeps become candidates ' +
      'for GC. A tracked template is refused: the manifest decides those.',
    tag: 'admin',
    security: 'admin',
    params: templateNameParam,
    responses: {
      200: json('forgotten', forgetAnswer, NO_STORE),
      ...adminAuthErrors,
      404: error('no such template', 'UNKNOWN_TEMPLATE'),
      409: error(
        'tracked by the manifest, or a refresh of it is running',
        'TEMPLATE_TRACKED',
        'TEMPLATE_BUSY',
      ),
    },
  },
  {
    method: 'get',
    path: '/v1/admin/templates/{name}/versions',
    operationId: 'adminListTemplateVersions',
    summary: 'Version history with provenance',
    tag: 'admin',
    security: 'admin',
    params: templateNameParam,
    query: listQuery,
    responses: {
      200: json('versions, newest first', adminVersionList, NO_STORE),
      400: queryErrors,
      ...adminAuthErrors,
      404: error('no such template', 'UNKNOWN_TEMPLATE'),
    },
  },
  {
    method: 'post',
    path: '/v1/admin/templates/{name}/refresh',
    operationId: 'adminRefreshTemplate',
    summary: 'Queue a refresh now',
    description: 'An empty body counts as `{}`.',
    tag: 'admin',
    security: 'admin',
    params: templateNameParam,
    body: { schema: refreshBody, required: false },
    responses: {
      202: json('queued (or already queued: `created: false`)', refreshAnswer, NO_STORE),
      400: bodyErrors,
      ...adminAuthErrors,
      404: error('no such template', 'UNKNOWN_TEMPLATE'),
      409: error('the template has no repository to fetch from', 'NOT_REFRESHABLE'),
    },
  },
  {
    method: 'put',
    path: '/v1/admin/templates/{name}/pin',
    operationId: 'adminPinTemplate',
    summary: 'Pin a template to a digest',
    description: 'Provisioners resolve to that digest whatever Gitea does, until unpinned.',
    tag: 'admin',
    security: 'admin',
    params: templateNameParam,
    body: { schema: pinBody, required: true },
    responses: {
      200: json('the template, now pinned', adminTemplate, NO_STORE),
      400: error(
        'not JSON, failing the schema, or a malformed digest',
        'MALFORMED_JSON',
        'INVALID_PAYLOAD',
        'INVALID_DIGEST',
      ),
      ...adminAuthErrors,
      404: error('no such template', 'UNKNOWN_TEMPLATE'),
      409: error(
        'not a ready version of this template, or its bundle was removed by GC',
        'NOT_A_READY_VERSION',
        'BUNDLE_EVICTED',
      ),
    },
  },
  {
    method: 'delete',
    path: '/v1/admin/templates/{name}/pin',
    operationId: 'adminUnpinTemplate',
    summary: 'Unpin a template: it serves its current version again',
    tag: 'admin',
    security: 'admin',
    params: templateNameParam,
    responses: {
      200: json('the template, unpinned', adminTemplate, NO_STORE),
      ...adminAuthErrors,
      404: error('no such template', 'UNKNOWN_TEMPLATE'),
    },
  },
]
