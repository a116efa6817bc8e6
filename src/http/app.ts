// createApp(deps): the Hono app with every route mounted and the one onError.
import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { AppError } from '../errors.js'
import { adminUiRoutes } from './admin-ui/index.js'
import type { AppDeps, AppEnv } from './env.js'
import { ApiError, errorBody, httpStatus } from './errors.js'
import { lostConnectionAnswer } from './middleware/connection-lost.js'
import { hostGuard, loopbackOnly } from './middleware/host-guard.js'
import { readAuth } from './middleware/read-auth.js'
import { finishRequest, requestIdFrom } from './middleware/request-log.js'
import { OPERATIONS } from './operations.js'
import { adminRoutes } from './routes/admin.js'
import { attestationRoutes } from './routes/attestations.js'
import { bundleRoutes } from './routes/bundles.js'
import { healthRoutes } from './routes/health.js'
import { hookRoutes } from './routes/hooks.js'
import { metricsRoutes } from './routes/metrics.js'
import { ociRoutes } from './routes/oci.js'
import { openApiRoutes } from './routes/openapi.js'
import { templateRoutes } from './routes/templates.js'
import { urlRoutes } from './routes/urls.js'

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  const { metrics } = deps
  metrics.attach({
    index: deps.index,
    config: deps.config,
    hotCacheBytes: () => deps.state.serving.cache.bytes,
    webhookBodyBytes: () => deps.state.webhookBodies.used,
    now: deps.now,
  })
  // One `info` line per request (request-log.ts); X-Request-Id on every answer.
  app.use(async (c, next) => {
    const started = performance.now()
    const requestId = requestIdFrom(c.req.header('x-request-id'))
    c.set('requestId', requestId)
    c.set('deps', deps)
    c.set('metrics', metrics)
    await next()
    // Set on the final answer: a handler that returns its own Response (bundles, /metrics) would
    // drop a header set before it.
    c.res.headers.set('X-Request-Id', requestId)
    const { method, routePath: route, path } = c.req
    finishRequest(deps.logger, metrics, {
      requestId,
      method,
      route,
      path,
      status: c.res.status,
      started,
    })
  })

  // DNS rebinding: anonymous reads on loopback answer to loopback names only.
  if (loopbackOnly(deps.config)) app.use(hostGuard)

  app.route('/', healthRoutes)
  app.route('/', openApiRoutes(OPERATIONS))
  // With ASSET_CACHE_METRICS_PORT set, /metrics lives on its own listener only (server.ts).
  if (!deps.config.metrics) app.route('/', metricsRoutes)
  app.route('/hooks', hookRoutes)
  // `/v1/templates/*` also matches `/v1/templates` itself. Admin routes use their own token.
  app.use('/v1/templates/*', readAuth)
  app.use('/v1/bundles/*', readAuth)
  app.route('/v1/templates', templateRoutes)
  app.route('/v1/bundles', bundleRoutes)
  app.route('/v1/bundles', attestationRoutes)
  app.route('/v1/urls', urlRoutes)
  app.route('/v1/admin', adminRoutes)
  app.route('/admin', adminUiRoutes)
  // The OCI Distribution API (pulls): its own credential forms and error bodies (docs/oci.md).
  app.route('/v2', ociRoutes)

  app.notFound((c) => c.json(errorBody('NOT_FOUND', 'no such route', c.var.requestId), 404))

  app.onError((err, c) => {
    const rid = c.var.requestId ?? 'unknown'
    const lost = lostConnectionAnswer(c, err)
    if (lost) return lost
    if (err instanceof ApiError) {
      return c.json(errorBody(err.code, err.message, rid), err.status, err.headers)
    }
    if (err instanceof AppError) {
      const status = httpStatus(err.code)
      if (status >= 500)
        deps.logger.error({ requestId: rid, code: err.code, err }, 'request failed')
      // 5xx bodies never carry internal messages.
      const message = status >= 500 ? 'the request could not be completed' : err.message
      return c.json(errorBody(err.code, message, rid), status)
    }
    if (err instanceof HTTPException) {
      const status = err.status
      const code =
        status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 401 ? 'UNAUTHORIZED' : 'BAD_REQUEST'
      return c.json(errorBody(code, err.message || code, rid), status)
    }
    deps.logger.error({ requestId: rid, err }, 'unhandled error')
    return c.json(errorBody('INTERNAL', 'internal error', rid), 500)
  })
  return app
}
