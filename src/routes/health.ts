// /healthz: the process answers. (Readiness and metrics come with the operations work.)
import { Hono } from 'hono'
import type { AppEnv } from '../app.js'

export const healthRoutes = new Hono<AppEnv>().get('/healthz', (c) =>
  c.json({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) }),
)
