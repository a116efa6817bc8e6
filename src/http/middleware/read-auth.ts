// Read-token check for the provisioner API (docs/api.md#provisioner-api): `Authorization:
// Bearer <token>`, hashed with sha256 and compared in constant time against every configured
// entry.
// Sets c.var.readScope: null for an unscoped token (or anonymous reads), else the template names.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { ReadToken } from '../../config.js'
import { checkSigned, queryOf } from '../../signed-url.js'
import type { AppEnv } from '../env.js'
import { ApiError } from '../errors.js'

/** `Authorization: Bearer <token>` (RFC 6750 §2.1): the token, one run of non-space. */
export const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i
const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="asset-cache"' }

/**
 * The entry whose hash equals sha256(token), or null. Every entry is compared (no early exit), so
 * the time taken does not depend on which entry matched. The token itself is never logged.
 */
export function matchReadToken(tokens: readonly ReadToken[], token: string): ReadToken | null {
  const hash = createHash('sha256').update(token).digest()
  let found: ReadToken | null = null
  for (const entry of tokens) {
    if (timingSafeEqual(hash, entry.sha256) && found === null) found = entry
  }
  return found
}

/** Authorization header values already matched, per configured token list. */
const ACCEPTED_MAX = 64
const acceptedByTokens = new WeakMap<readonly ReadToken[], Map<string, ReadToken>>()

/**
 * The entry an Authorization header value grants, or null. The first sight of a value goes through
 * matchReadToken (sha256 + constant-time compare); a value that matched is remembered, so a
 * provisioner's repeated requests skip the hash. Only accepted values are kept (a stream of
 * wrong tokens cannot fill the map), at most ACCEPTED_MAX of them: when full it starts over.
 */
function acceptedEntry(tokens: readonly ReadToken[], header: string): ReadToken | null {
  let accepted = acceptedByTokens.get(tokens)
  if (!accepted) {
    accepted = new Map()
    acceptedByTokens.set(tokens, accepted)
  }
  const known = accepted.get(header)
  if (known) return known
  const m = BEARER.exec(header)
  const entry = m ? matchReadToken(tokens, m[1]!) : null
  if (entry) {
    if (accepted.size >= ACCEPTED_MAX) accepted.clear()
    accepted.set(header, entry)
  }
  return entry
}

/**
 * What an Authorization header value grants: null for every template (an unscoped token, or no
 * tokens configured), a list of template names for a scoped token, false when refused. With no
 * tokens configured reads are anonymous: server start-up (checkReadExposure) already refused a
 * non-loopback listener unless anonymous reads were allowed on purpose.
 */
export function grantedScope(
  tokens: readonly ReadToken[],
  header: string | undefined,
): string[] | null | false {
  if (tokens.length === 0) return null
  const entry = acceptedEntry(tokens, header ?? '')
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
  const now = deps.now ? deps.now() : Date.now()
  const check = checkSigned(deps.config.urlKey, digest, queryOf(c.req.url), now)
  if (check.kind === 'none') return false
  if (check.kind === 'valid') return true
  if (check.code === 'URL_EXPIRED') throw new ApiError(403, 'URL_EXPIRED', check.message)
  throw new ApiError(403, 'URL_SIGNATURE_INVALID', check.message)
}

export const readAuth = createMiddleware<AppEnv>(async (c, next) => {
  if (signedRead(c)) {
    c.set('readScope', null)
    c.set('signedUrl', true)
    return next()
  }
  const header = c.req.header('authorization')
  const scope = grantedScope(c.get('deps').config.readTokens, header)
  if (scope === false) {
    throw new ApiError(
      401,
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
