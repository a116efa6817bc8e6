// Answers shared by the /v2 routes: OCI error bodies with the API version header, the read-token
// check with the challenges registry clients expect, and small byte bodies (manifests, configs).
import type { Context } from 'hono'
import type { AcceptedTokens } from '../../config/read-tokens.js'
import { basicPassword, challenge, isBasic } from '../../oci/auth.js'
import { OciError } from '../../oci/errors.js'
import type { AppEnv } from '../env.js'
import { etagMatches, parseRange } from '../middleware/http-cache.js'
import { grantedScope, matchReadToken } from '../middleware/read-auth.js'

export const API_VERSION = 'registry/2.0'

/**
 * What an Authorization header grants on /v2: null for every template (an unscoped token, or no
 * tokens configured), a list of template names for a scoped token, false when refused. Basic
 * carries the token as its password (any user name); Bearer is read as on /v1.
 */
export function ociScope(
  tokens: AcceptedTokens,
  header: string | undefined,
): string[] | null | false {
  if (tokens.empty) return null
  if (isBasic(header)) {
    const password = basicPassword(header)
    const entry = password === null ? null : matchReadToken(tokens.tokens, password)
    return entry ? entry.scope : false
  }
  return grantedScope(tokens, header)
}

/** The caller's scope, or a 401 with the challenges (naming `repository` when there is one). */
export function authorize(c: Context<AppEnv>, repository: string | null): string[] | null {
  const header = c.req.header('authorization')
  const scope = ociScope(c.get('deps').state.readTokens, header)
  if (scope !== false) return scope
  throw new OciError(
    401,
    'UNAUTHORIZED',
    'authentication required: a read token, as the Basic password or a Bearer token',
    null,
    {
      'WWW-Authenticate': challenge(
        c.req.header('host'),
        c.req.header('x-forwarded-proto'),
        repository,
        c.get('deps').config.publicUrl,
      ),
    },
  )
}

export function errorResponse(err: OciError, method: string): Response {
  const headers = new Headers({
    'Content-Type': 'application/json',
    'Docker-Distribution-API-Version': API_VERSION,
  })
  for (const [name, value] of Object.entries(err.headers)) headers.set(name, value)
  if (err.status === 405) headers.set('Allow', 'GET, HEAD')
  return new Response(method === 'HEAD' ? null : err.body(), { status: err.status, headers })
}

/** Runs `fn`, answering an OciError it throws as an OCI error body; anything else goes on to onError. */
export async function ociAnswer(
  c: Context<AppEnv>,
  fn: () => Response | Promise<Response>,
): Promise<Response> {
  try {
    return await fn()
  } catch (err) {
    if (err instanceof OciError) return errorResponse(err, c.req.method)
    throw err
  }
}

/**
 * A document held in memory (manifest, config, tag list): `Content-Length` always, the body only
 * for GET, 304 on a matching `If-None-Match`, one byte range when `ranges` is set.
 */
export function bytesResponse(
  c: Context<AppEnv>,
  bytes: Buffer,
  headers: Record<string, string>,
  ranges = false,
): Response {
  const head = c.req.method === 'HEAD'
  const all: Record<string, string> = { ...headers, 'Docker-Distribution-API-Version': API_VERSION }
  const etag = all.ETag
  if (etag !== undefined && etagMatches(c.req.header('if-none-match'), etag)) {
    const { 'Content-Type': _t, ...rest } = all
    return new Response(null, { status: 304, headers: rest })
  }
  if (ranges) {
    all['Accept-Ranges'] = 'bytes'
    const range = parseRange(c.req.header('range'), bytes.length)
    if (range.kind === 'unsatisfiable') {
      all['Content-Range'] = `bytes */${bytes.length}`
      return new Response(null, { status: 416, headers: all })
    }
    if (range.kind === 'partial') {
      const { start, end } = range.range
      all['Content-Range'] = `bytes ${start}-${end}/${bytes.length}`
      all['Content-Length'] = String(end - start + 1)
      return new Response(head ? null : bytes.subarray(start, end + 1), {
        status: 206,
        headers: all,
      })
    }
  }
  all['Content-Length'] = String(bytes.length)
  return new Response(head ? null : bytes, { status: 200, headers: all })
}
