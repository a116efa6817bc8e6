// The webhook route's share of the body budget (body-budget.ts).
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../env.js'

/**
 * Middleware for the webhook route: reserves the delivery's bytes from the app's budget before
 * the body is read, and gives them back once it is answered. A body declared over the limit
 * reserves nothing: it is refused (413) without being read.
 */
export const webhookBodyBudget: MiddlewareHandler<AppEnv> = async (c, next) => {
  const { config, state } = c.var.deps
  // Webhooks switched off: refused at once (503 WEBHOOK_DISABLED), nothing to hold or wait for.
  if (!config.webhookSecret) return next()
  const max = config.webhookMaxBodyBytes
  const header = c.req.header('content-length')
  const declared = header !== undefined && /^\d+$/.test(header) ? Number(header) : null
  const bytes = declared === null ? max : declared > max ? 0 : declared
  // Half the body timeout to wait for its turn, so that the other half is left for the body.
  const release = await state.webhookBodies.reserve(bytes, config.http.bodyTimeoutMs / 2)
  try {
    await next()
  } finally {
    release()
  }
}
