// GET /metrics: the Prometheus text exposition of the app's own registry. Mounted on the main
// listener unless ASSET_CACHE_METRICS_PORT moves it to a listener of its own (metricsApp).
import { Hono } from 'hono'
import type { Metrics } from '../../metrics.js'
import type { AppEnv } from '../env.js'
import { errorBody } from '../errors.js'
import { requestIdFrom } from '../middleware/request-log.js'
import { NO_STORE, type RouteSpec } from '../openapi/route-spec.js'

const exposition = async (metrics: Metrics) =>
  new Response(await metrics.text(), {
    headers: { 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store' },
  })

export const metricsRoutes = new Hono<AppEnv>().get('/metrics', (c) => exposition(c.var.metrics))

/** The separate metrics listener's app: /metrics and nothing else (with request ids as well). */
export function metricsApp(metrics: Metrics): Hono<{ Variables: { requestId: string } }> {
  const app = new Hono<{ Variables: { requestId: string } }>()
  app.use(async (c, next) => {
    const requestId = requestIdFrom(c.req.header('x-request-id'))
    c.set('requestId', requestId)
    await next()
    c.res.headers.set('X-Request-Id', requestId)
  })
  app.get('/metrics', () => exposition(metrics))
  app.notFound((c) => c.json(errorBody('NOT_FOUND', 'no such route', c.var.requestId), 404))
  return app
}

export const metricsOperations: readonly RouteSpec[] = [
  {
    method: 'get',
    path: '/metrics',
    operationId: 'getMetrics',
    summary: 'Prometheus metrics',
    description:
      'On the main listener unless `ASSET_CACHE_METRICS_PORT` moves it to a listener of its own.',
    tag: 'operations',
    security: 'none',
    responses: {
      200: {
        description: 'the Prometheus text exposition format',
        media: { type: 'text/plain', binary: false },
        headers: NO_STORE,
      },
    },
  },
]
