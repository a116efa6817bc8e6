// POST /v1/urls (docs/api.md#signed-bundle-urls): mints a signed URL for one bundle. A read token
// mints within its scope (a template it sees, or a digest it may read), the admin token or an
// unscoped read token for any bundle the index holds. Without ASSET_CACHE_URL_KEY: 503.
import { Hono } from 'hono'
import { activeTemplate, resolveTemplate } from '../../cache/resolve.js'
import { unknownTemplate } from '../../errors.js'
import { MAX_URL_TTL_SECONDS, signedPath } from '../../signed-url.js'
import { parseDuration } from '../../units.js'
import type { AppEnv } from '../env.js'
import { ApiError } from '../errors.js'
import { isAdminToken } from '../middleware/admin-attempts.js'
import { BEARER, readAuth } from '../middleware/read-auth.js'
import { jsonBody } from '../middleware/validate.js'
import { urlBody } from '../openapi/requests.js'
import { signedUrl } from '../openapi/responses.js'
import { error, json, type RouteSpec, readAuthErrors } from '../openapi/route-spec.js'
import { checkScope, notFound } from './bundle-response.js'

export const DEFAULT_URL_TTL_SECONDS = 600

export const urlRoutes = new Hono<AppEnv>()

/** Seconds from the body's `ttl` (seconds, or a duration text), within 1s..24h. */
function ttlSeconds(ttl: number | string | undefined): number {
  if (ttl === undefined) return DEFAULT_URL_TTL_SECONDS
  const seconds = typeof ttl === 'number' ? ttl : (parseDuration(ttl) ?? 0) / 1000
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_URL_TTL_SECONDS) {
    throw new ApiError(
      'INVALID_PAYLOAD',
      `ttl: expected whole seconds from 1 to ${MAX_URL_TTL_SECONDS} (24h), or a duration like 10m`,
    )
  }
  return seconds
}

urlRoutes.use('/', async (c, next) => {
  if (!c.get('deps').config.urlKey) {
    throw new ApiError(
      'URLS_DISABLED',
      'signed URLs are off: set ASSET_CACHE_URL_KEY to enable them',
    )
  }
  // The admin token mints for any bundle; anything else is a read credential.
  const admin = c.get('deps').config.adminToken
  const m = BEARER.exec(c.req.header('authorization') ?? '')
  if (admin && m && isAdminToken(admin, m[1]!)) {
    c.set('readScope', null)
    return next()
  }
  return readAuth(c, next)
})

urlRoutes.post('/', async (c) => {
  const body = await jsonBody(c, urlBody)
  const deps = c.get('deps')
  const scope = c.get('readScope')
  const ttl = ttlSeconds(body.ttl)
  let digest: string
  if (body.template !== undefined) {
    const t = activeTemplate(deps.index, body.template)
    if (!t || (scope !== null && !scope.includes(t.name))) throw unknownTemplate(body.template)
    const resolved = resolveTemplate(deps.index, t).digest
    if (!resolved || !deps.index.bundles.get(resolved)) {
      throw new ApiError('NOT_READY', `template ${t.name} has no ready bundle yet`, {
        'Retry-After': '30',
      })
    }
    digest = resolved
  } else {
    digest = body.digest!
    if (deps.index.bundles.get(digest) === null) throw notFound(digest)
    checkScope(deps, scope, digest)
  }
  const now = deps.now()
  const expires = Math.floor(now / 1000) + ttl
  const path = signedPath(deps.config.urlKey!, digest, expires)
  const url = new URL(path, c.req.url).href
  return c.json({ url, path, digest, expires }, 200, { 'Cache-Control': 'no-store' })
})

export const urlOperations: readonly RouteSpec[] = [
  {
    method: 'post',
    path: '/v1/urls',
    operationId: 'mintSignedUrl',
    summary: 'Mint a short-lived signed URL for one bundle',
    description:
      'The URL reads the bundle with no Authorization header until `expires`. A read token ' +
      'mints within its scope (a template it sees, or a digest it may read); the admin token ' +
      'mints for any bundle.',
    tag: 'bundles',
    security: 'read',
    body: { schema: urlBody, required: true },
    responses: {
      200: json('the signed URL', signedUrl, { 'Cache-Control': '`no-store`' }),
      400: error('not JSON, or failing the schema', 'MALFORMED_JSON', 'INVALID_PAYLOAD'),
      ...readAuthErrors,
      404: error(
        'unknown template or bundle, or not one this token may read',
        'UNKNOWN_TEMPLATE',
        'NOT_FOUND',
      ),
      503: error(
        'signed URLs are off, or the template has nothing ready (with `Retry-After`)',
        'URLS_DISABLED',
        'NOT_READY',
      ),
    },
  },
]
