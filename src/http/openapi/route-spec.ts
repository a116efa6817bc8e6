// The shape of the route table (api/routes.ts): one entry per operation, naming the zod schemas
// its handler validates with and the schemas of what it answers, and the helpers its entries
// share.
import type { z } from 'zod'

/**
 * Who may call: a provisioner read token, the admin token, a Gitea webhook signature (HMAC of
 * the body), or anyone.
 */
export type RouteSecurity = 'read' | 'admin' | 'webhook' | 'none'

export type RouteMethod = 'get' | 'head' | 'post' | 'put' | 'delete'

export interface ResponseSpec {
  description: string
  /** A JSON body and its schema. */
  json?: z.ZodType
  /** An error answer: the shared error body, with the codes this operation answers at this status. */
  errors?: readonly string[]
  /** A body that is not JSON: its media type (the schema is a string, or bytes). */
  media?: { type: string; binary: boolean }
  /** Response headers worth naming: name → description. */
  headers?: Record<string, string>
}

export interface RequestBodySpec {
  /** The schema the handler validates the JSON body with; several when it picks one by event. */
  schema: z.ZodType | readonly z.ZodType[]
  required: boolean
  /** Other media types accepted, as OpenAPI media type objects (e.g. a form wrapping the JSON). */
  also?: Record<string, unknown>
}

export interface RouteSpec {
  method: RouteMethod
  /** OpenAPI style: `/v1/templates/{name}`. */
  path: string
  operationId: string
  summary: string
  description?: string
  tag: 'operations' | 'webhook' | 'templates' | 'bundles' | 'admin'
  security: RouteSecurity
  params?: z.ZodObject
  query?: z.ZodObject
  body?: RequestBodySpec
  responses: Record<number, ResponseSpec>
}

export const json = (description: string, schema: z.ZodType, headers?: Record<string, string>) =>
  ({ description, json: schema, ...(headers ? { headers } : {}) }) satisfies ResponseSpec

export const error = (description: string, ...codes: string[]): ResponseSpec => ({
  description,
  errors: codes,
})

export const withHeaders = (spec: ResponseSpec, headers: Record<string, string>): ResponseSpec => ({
  ...spec,
  headers,
})

export const RETRY_AFTER = { 'Retry-After': 'seconds to wait before asking again' }
export const NO_CACHE = { 'Cache-Control': '`no-cache`' }
export const NO_STORE = { 'Cache-Control': '`no-store`: live state' }
