// Admin authentication: `Authorization: Bearer $ASSET_CACHE_ADMIN_TOKEN` for the API. With no
// admin token configured every admin route answers 503 — admin is never open by default.
import { createHash, timingSafeEqual } from 'node:crypto'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../app.js'
import { ApiError } from '../http-errors.js'
import type { Secret } from '../secret.js'
import { adminAttempts, clientAddress, tooManyAttempts } from './admin-attempts.js'
import { BEARER } from './read-auth.js'

const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="asset-cache admin"' }

/** Constant-time comparison of a presented token with the configured one (hashed to equal length). */
export function isAdminToken(secret: Secret, presented: string): boolean {
  const want = createHash('sha256').update(secret.reveal()).digest()
  const got = createHash('sha256').update(presented).digest()
  return timingSafeEqual(want, got)
}

export function adminDisabled(): ApiError {
  return new ApiError(
    503,
    'ADMIN_DISABLED',
    'admin is disabled: set ASSET_CACHE_ADMIN_TOKEN to enable it',
  )
}

export const adminAuth = createMiddleware<AppEnv>(async (c, next) => {
  const secret = c.var.deps.config.adminToken
  if (!secret) throw adminDisabled()
  const attempts = adminAttempts(c.var.deps)
  const address = clientAddress(c)
  const locked = attempts.lockedForMs(address)
  if (locked > 0) throw tooManyAttempts(locked)
  const m = BEARER.exec(c.req.header('authorization') ?? '')
  if (!m || !isAdminToken(secret, m[1]!)) {
    if (m) attempts.failed(address)
    throw new ApiError(
      401,
      'UNAUTHORIZED',
      m ? 'the admin token is not valid' : 'an admin token is required',
      CHALLENGE,
    )
  }
  return next()
})
