// Read-token check for the provisioner API (DESIGN.md "Configuration"): `Authorization: Bearer
// <token>`, hashed with sha256 and compared in constant time against every configured entry.
// Sets c.var.readScope: null for an unscoped token (or anonymous reads), else the template names.
import { createHash, timingSafeEqual } from 'node:crypto'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../app.js'
import type { ReadToken } from '../config.js'
import { ApiError } from '../http-errors.js'

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i
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

/**
 * With no tokens configured reads are anonymous: server start-up (checkReadExposure) already
 * refused a non-loopback listener unless anonymous reads were allowed on purpose.
 */
export const readAuth = createMiddleware<AppEnv>(async (c, next) => {
  const { readTokens } = c.var.deps.config
  if (readTokens.length === 0) {
    c.set('readScope', null)
    return next()
  }
  const m = BEARER.exec(c.req.header('authorization') ?? '')
  const entry = m ? matchReadToken(readTokens, m[1]!) : null
  if (!entry) {
    throw new ApiError(
      401,
      'UNAUTHORIZED',
      m ? 'the read token is not valid' : 'a read token is required',
      CHALLENGE,
    )
  }
  c.set('readScope', entry.scope)
  return next()
})

/** Whether the current read scope covers `template`. */
export function inScope(scope: string[] | null, template: string): boolean {
  return scope === null || scope.includes(template)
}
