// GET /openapi.json: the OpenAPI 3.1 document of this API (openapi/openapi.ts), built from the
// operations each route module declares (operations.ts). Public like /healthz: it describes
// routes, never state. Built on the first request and kept for the app's life.
import { Hono } from 'hono'
import type { AppEnv } from '../env.js'
import { openApiDocument } from '../openapi/openapi.js'
import { openApiBody } from '../openapi/responses.js'
import { json, NO_CACHE, type RouteSpec } from '../openapi/route-spec.js'

export function openApiRoutes(operations: readonly RouteSpec[]): Hono<AppEnv> {
  let json: string | undefined
  return new Hono<AppEnv>().get('/openapi.json', (c) => {
    json ??= JSON.stringify(openApiDocument(operations))
    return c.body(json, 200, {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-cache',
    })
  })
}

export const openApiOperations: readonly RouteSpec[] = [
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApi',
    summary: 'This document',
    tag: 'operations',
    security: 'none',
    responses: { 200: json('the OpenAPI 3.1 document of this API', openApiBody, NO_CACHE) },
  },
]
