// GET /openapi.json: the OpenAPI 3.1 document of this API (api/openapi.ts). Public like /healthz:
// it describes routes, never state. Built on the first request and kept for the app's life.
import { Hono } from 'hono'
import type { AppEnv } from '../env.js'
import { openApiDocument } from '../openapi/openapi.js'

export function openApiRoutes(): Hono<AppEnv> {
  let json: string | undefined
  return new Hono<AppEnv>().get('/openapi.json', (c) => {
    json ??= JSON.stringify(openApiDocument())
    return c.body(json, 200, {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-cache',
    })
  })
}
