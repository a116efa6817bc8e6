// GET /v1/templates[/{name}[/bundle|/versions]] (docs/api.md#provisioner-api): resolve a
// template name to its current (or pinned) bundle digest. A scoped token sees only its
// templates; one out of scope answers 404 like an unknown name, so a token does not learn which
// names exist.
import { Hono } from 'hono'
import { activeTemplate, resolveTemplate, versionSummary } from '../../cache/resolve.js'
import { unknownTemplate } from '../../errors.js'
import type { AppEnv } from '../env.js'
import { ApiError } from '../errors.js'
import { etagMatches } from '../middleware/http-cache.js'
import { inScope } from '../middleware/read-auth.js'
import { paramsOf } from '../middleware/validate.js'
import { templateNameParam } from '../openapi/requests.js'
import { templateBody, templateList, versionList } from '../openapi/responses.js'
import {
  error,
  json,
  NO_CACHE,
  RETRY_AFTER,
  type RouteSpec,
  readAuthErrors,
  withHeaders,
} from '../openapi/route-spec.js'

/** Seconds a provisioner should wait when a template has nothing ready yet. */
export const NOT_READY_RETRY_AFTER = 30

export const templateRoutes = new Hono<AppEnv>()

function scopedTemplate(c: { var: AppEnv['Variables'] }, name: string) {
  const t = inScope(c.var.readScope, name) ? activeTemplate(c.var.deps.index, name) : null
  if (!t) throw unknownTemplate(name)
  return t
}

templateRoutes.get('/', (c) => {
  const { index } = c.var.deps
  const scope = c.var.readScope
  const list = index.templates
    .all()
    .filter((t) => t.removedAt === null && inScope(scope, t.name))
    .map((t) => {
      const r = resolveTemplate(index, t)
      return {
        name: t.name,
        repo: t.repo,
        ref: t.ref,
        digest: r.digest,
        commit: r.version?.commit ?? null,
        status: r.digest ? 'ready' : 'pending',
      }
    })
  return c.json(list, 200, { 'Cache-Control': 'no-cache' })
})

// The two routes on every provisioner boot answer from the resolved view (resolve.ts): no query
// beyond the index's change stamp while nothing changed.
function scopedView(c: { var: AppEnv['Variables'] }, name: string) {
  const view = inScope(c.var.readScope, name) ? c.var.deps.state.views.get(name) : null
  if (!view) throw unknownTemplate(name)
  return view
}

const notReady = (name: string) =>
  new ApiError('NOT_READY', `template ${name} has no ready bundle yet`, {
    'Retry-After': String(NOT_READY_RETRY_AFTER),
  })

templateRoutes.get('/:name', (c) => {
  const view = scopedView(c, paramsOf(c, templateNameParam).name)
  if (!view.ready) throw notReady(view.template.name)
  const { etag, body } = view.ready
  if (etagMatches(c.req.header('if-none-match'), etag)) {
    return c.body(null, 304, { ETag: etag, 'Cache-Control': 'no-cache' })
  }
  return c.body(body, 200, {
    'Content-Type': 'application/json',
    ETag: etag,
    'Cache-Control': 'no-cache',
  })
})

templateRoutes.get('/:name/bundle', (c) => {
  const view = scopedView(c, paramsOf(c, templateNameParam).name)
  if (!view.digest) throw notReady(view.template.name)
  c.header('Cache-Control', 'no-cache')
  return c.redirect(`/v1/bundles/${view.digest}`, 307)
})

templateRoutes.get('/:name/versions', (c) => {
  const { index } = c.var.deps
  const t = scopedTemplate(c, paramsOf(c, templateNameParam).name)
  const current = resolveTemplate(index, t).version?.id ?? null
  const versions = index.versions.list(t.name).map((v) => versionSummary(v, current))
  return c.json(versions, 200, { 'Cache-Control': 'no-cache' })
})

const unknownTemplateAnswer = error(
  'no such template (or not in the token scope)',
  'UNKNOWN_TEMPLATE',
)

const notReadyAnswer = withHeaders(
  error('the template has no ready bundle yet', 'NOT_READY'),
  RETRY_AFTER,
)

export const templateOperations: readonly RouteSpec[] = [
  {
    method: 'get',
    path: '/v1/templates',
    operationId: 'listTemplates',
    summary: 'Templates and the digest each resolves to',
    tag: 'templates',
    security: 'read',
    responses: {
      200: json('templates in the token scope', templateList, NO_CACHE),
      ...readAuthErrors,
    },
  },
  {
    method: 'get',
    path: '/v1/templates/{name}',
    operationId: 'getTemplate',
    summary: 'Resolve a template to its current (or pinned) bundle',
    tag: 'templates',
    security: 'read',
    params: templateNameParam,
    responses: {
      200: json('the bundle provisioners should use', templateBody, {
        ETag: '`"<digest>"`',
        ...NO_CACHE,
      }),
      304: { description: '`If-None-Match` matches the digest', headers: { ETag: '`"<digest>"`' } },
      ...readAuthErrors,
      404: unknownTemplateAnswer,
      503: notReadyAnswer,
    },
  },
  {
    method: 'get',
    path: '/v1/templates/{name}/bundle',
    operationId: 'redirectTemplateBundle',
    summary: 'Redirect to the current bundle',
    tag: 'templates',
    security: 'read',
    params: templateNameParam,
    responses: {
      307: {
        description: 'to the current bundle',
        headers: { Location: '`/v1/bundles/{digest}`', ...NO_CACHE },
      },
      ...readAuthErrors,
      404: unknownTemplateAnswer,
      503: notReadyAnswer,
    },
  },
  {
    method: 'get',
    path: '/v1/templates/{name}/versions',
    operationId: 'listTemplateVersions',
    summary: 'Version history, newest first, rejected ones with their reason',
    tag: 'templates',
    security: 'read',
    params: templateNameParam,
    responses: {
      200: json('versions, newest first', versionList, NO_CACHE),
      ...readAuthErrors,
      404: unknownTemplateAnswer,
    },
  },
]
