import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import { checkSigned, queryOf } from '../../signed-url.js'
import type { AppEnv } from '../env.js'
import { ApiError } from '../errors.js'

/** `Authorization: Bearer <token>` (RFC 6750 §2.1): the token, one run of non-space. */
export { BEARER, matchReadToken } from '../../config/read-tokens.js'

import { type AcceptedTokens, BEARER } from '../../config/read-tokens.js'

const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="asset-cache"' }

/**
 * What an Authorization header value grants: null for every template (an unscoped token, or no
 * tokens configured), a list of template names for a scoped token, false when refused. With no
 * tokens configured reads are anonymous: server start-up (checkReadExposure) already refused a
 * non-loopback listener unless anonymous reads were allowed on purpose.
 */
export function grantedScope(
  tokens: AcceptedTokens,
  header: string | undefined,
): string[] | null | false {
  if (tokens.empty) return null
  const entry = tokens.entry(header ?? '')
  return entry ? entry.scope : false
}

const BUNDLE_PATH = /^\/v1\/bundles\/([^/]+)$/

/**
 * A read of a bundle through a signed URL: true when its signature is valid, false when the
 * request carries no signed parameters (or signed URLs are off); throws 403 when it is refused.
 */
function signedRead(c: Context<AppEnv>): boolean {
  const { method } = c.req
  const segment = BUNDLE_PATH.exec(c.req.path)?.[1]
  if ((method !== 'GET' && method !== 'HEAD') || segment === undefined) return false
  // The digest as the bundle route reads it (`sha256%3A…` is `sha256:…`); undecodable: no match.
  let digest = ''
  try {
    digest = decodeURIComponent(segment)
  } catch {}
  const deps = c.get('deps')
  const now = deps.now()
  const check = checkSigned(deps.config.urlKey, digest, queryOf(c.req.url), now)
  if (check.kind === 'none') return false
  if (check.kind === 'valid') return true
  if (check.code === 'URL_EXPIRED') throw new ApiError('URL_EXPIRED', check.message)
  throw new ApiError('URL_SIGNATURE_INVALID', check.message)
}

export const readAuth = createMiddleware<AppEnv>(async (c, next) => {
  if (signedRead(c)) {
    c.set('readScope', null)
    c.set('signedUrl', true)
    return next()
  }
  const header = c.req.header('authorization')
  const scope = grantedScope(c.get('deps').state.readTokens, header)
  if (scope === false) {
    throw new ApiError(
      'UNAUTHORIZED',
      BEARER.test(header ?? '') ? 'the read token is not valid' : 'a read token is required',
      CHALLENGE,
    )
  }
  c.set('readScope', scope)
  return next()
})

/** Whether the current read scope covers `template`. */
export function inScope(scope: string[] | null, template: string): boolean {
  return scope === null || scope.includes(template)
}
