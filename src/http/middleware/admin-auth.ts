// Admin authentication: `Authorization: Bearer $ASSET_CACHE_ADMIN_TOKEN` for the API. With no
// admin token configured every admin route answers 503 — admin is never open by default.
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env.js'
import { ApiError } from '../errors.js'
import { checkAdminToken, clientAddress, tooManyAttempts } from './admin-attempts.js'
import { BEARER } from './read-auth.js'

const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="asset-cache admin"' }

export function adminDisabled(): ApiError {
  return new ApiError(
    'ADMIN_DISABLED',
    'admin is disabled: set ASSET_CACHE_ADMIN_TOKEN to enable it',
  )
}

export const adminAuth = createMiddleware<AppEnv>(async (c, next) => {
  const secret = c.var.deps.config.adminToken
  if (!secret) throw adminDisabled()
  const m = BEARER.exec(c.req.header('authorization') ?? '')
  const check = checkAdminToken(c.var.deps.state.adminAttempts, clientAddress(c), secret, m?.[1])
  if (check.ok) return next()
  if (check.lockedForMs > 0) throw tooManyAttempts(check.lockedForMs)
  throw new ApiError(
    'UNAUTHORIZED',
    m ? 'the admin token is not valid' : 'an admin token is required',
    CHALLENGE,
  )
})
