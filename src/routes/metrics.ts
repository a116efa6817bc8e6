// GET /metrics: the Prometheus text exposition of the app's own registry. Mounted on the main
// listener unless ASSET_CACHE_METRICS_PORT moves it to a listener of its own (metricsApp).
import { Hono } from 'hono'
import type { AppEnv } from '../app.js'
import type { Metrics } from '../metrics.js'

const exposition = async (metrics: Metrics) =>
  new Response(await metrics.text(), {
    headers: { 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store' },
  })

export const metricsRoutes = new Hono<AppEnv>().get('/metrics', (c) => exposition(c.var.metrics))

/** The separate metrics listener's app: /metrics and nothing else. */
export function metricsApp(metrics: Metrics): Hono {
  const app = new Hono()
  app.get('/metrics', () => exposition(metrics))
  app.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: 'no such route' } }, 404))
  return app
}
