// The shape of an OpenAPI operation as each route module declares it beside its handlers
// (src/http/routes/*.ts, collected in src/http/operations.ts): the zod schemas its handler
// validates with and the schemas of what it answers, and the helpers and answers the
// declarations share.
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

/** The answer of the read token check (`/v1/templates`, `/v1/bundles`, `/v1/urls`). */
export const readAuthErrors = {
  401: withHeaders(error('missing or invalid read token', 'UNAUTHORIZED'), {
    'WWW-Authenticate': '`Bearer realm="asset-cache"`',
  }),
}

/** The answers of the admin token check (`/v1/admin/*`). */
export const adminAuthErrors = {
  401: withHeaders(error('missing or invalid admin token', 'UNAUTHORIZED'), {
    'WWW-Authenticate': '`Bearer realm="asset-cache admin"`',
  }),
  429: withHeaders(
    error(
      'too many wrong admin tokens from this address (10 a minute): refused, uncompared, until the minute ends',
      'TOO_MANY_ATTEMPTS',
    ),
    { 'Retry-After': 'seconds until the address may try again' },
  ),
  503: error('no ASSET_CACHE_ADMIN_TOKEN is configured: admin is never open', 'ADMIN_DISABLED'),
}

/** A JSON body refused (the admin API's bodies). */
export const bodyErrors = error(
  'the body is not JSON, or fails the schema (unknown fields are refused)',
  'MALFORMED_JSON',
  'INVALID_PAYLOAD',
)

/** A query refused (the admin API's `limit`). */
export const queryErrors = error('the query fails the schema', 'INVALID_PAYLOAD')

/**
 * The HTML admin UI (`/admin/*`, src/admin-ui) is left out of the document on purpose: it is
 * pages and forms for people, not an API. Any path starting with `/admin` is excluded (the JSON
 * admin API lives under `/v1/admin` and is documented). So is `/v2`, the OCI Distribution API:
 * its contract is that specification (docs/oci.md), not this document.
 */
export const isDocumented = (path: string): boolean =>
  !path.startsWith('/admin') && !path.startsWith('/v2')
