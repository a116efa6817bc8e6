// The client's one way to talk to the server: undici with timeouts, a bearer token, and transport
// and status failures turned into ClientErrors.
import { type Dispatcher, request } from 'undici'
import { ClientError } from './errors.js'

export interface RequestOptions {
  token?: string | undefined
  headers?: Record<string, string>
  /** Until the response headers arrive (default 30 s). */
  headersTimeoutMs?: number
  /** Between two body chunks (default 30 s). */
  bodyTimeoutMs?: number
  signal?: AbortSignal | undefined
  dispatcher?: Dispatcher
}

export type Response = Dispatcher.ResponseData<unknown>

/** `server` joined with `path`, refusing anything but http(s). */
export function endpoint(server: string, path: string): URL {
  let base: URL
  try {
    base = new URL(server.endsWith('/') ? server : `${server}/`)
  } catch {
    throw new ClientError('INVALID_SERVER_URL', `invalid server URL ${JSON.stringify(server)}`)
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new ClientError('INVALID_SERVER_URL', `server URL must be http(s): ${server}`)
  }
  return new URL(path.replace(/^\//, ''), base)
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
])

/**
 * A transport error as a ClientError. When `signal` has fired, its reason is the error, whatever
 * undici wrapped it in: the caller's own abort, or the pull's deadline (a ClientError `PULL_TIMEOUT`).
 */
export function transportError(err: unknown, url: URL, signal?: AbortSignal): unknown {
  if (signal?.aborted) return signal.reason
  if (err instanceof ClientError) return err
  const e = err as (Error & { code?: string; cause?: { code?: string } }) | null
  if (e?.name === 'AbortError') return err
  const code = e?.code ?? e?.cause?.code
  if (code !== undefined && TIMEOUT_CODES.has(code)) {
    return new ClientError(
      'PULL_TIMEOUT',
      `${url.origin} timed out (${code})`,
      { url: url.href },
      {
        cause: err,
      },
    )
  }
  return new ClientError(
    'SERVER_UNREACHABLE',
    `cannot reach ${url.origin}: ${code ?? e?.message ?? String(err)}`,
    { url: url.href },
    { cause: err },
  )
}

/**
 * GET `url`; never follows redirects (a redirect could carry the token elsewhere). The body always
 * has an error listener, so a body that is abandoned (destroyed) or cut by the server never
 * becomes an uncaught 'error' in the host process; readers still see every error.
 */
export async function get(url: URL, options: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.token) headers.authorization = `Bearer ${options.token}`
  let res: Response
  try {
    res = await request(url, {
      method: 'GET',
      headers,
      headersTimeout: options.headersTimeoutMs ?? 30_000,
      bodyTimeout: options.bodyTimeoutMs ?? 30_000,
      signal: options.signal,
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    })
  } catch (err) {
    throw transportError(err, url, options.signal)
  }
  res.body.on('error', ignore)
  return res
}

function ignore(): void {}

/** Abandons an answer without reading it; safe at any point (see `get`). */
export function discard(res: Response): void {
  res.body.destroy()
}

/** Largest JSON answer read whole (resolve, admin actions). */
export const MAX_JSON_BYTES = 1024 * 1024
/** Largest error body read for its `{error:{code,message}}`. */
export const MAX_ERROR_BYTES = 64 * 1024

/**
 * The whole body, or null when it is longer than `max` bytes: reading stops at the first byte over
 * (or at once, when Content-Length says so) and the rest is never read. Transport failures throw.
 */
export async function readCapped(res: Response, max: number): Promise<Buffer | null> {
  const declared = Number(res.headers['content-length'])
  if (Number.isFinite(declared) && declared > max) {
    discard(res)
    return null
  }
  const chunks: Buffer[] = []
  let total = 0
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    total += chunk.length
    if (total > max) {
      discard(res)
      return null
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

/** A JSON answer of at most MAX_JSON_BYTES, parsed; ClientError otherwise. */
export async function readJson(res: Response, url: URL, signal?: AbortSignal): Promise<unknown> {
  let bytes: Buffer | null
  try {
    bytes = await readCapped(res, MAX_JSON_BYTES)
  } catch (err) {
    throw transportError(err, url, signal)
  }
  if (bytes === null) {
    throw new ClientError(
      'RESPONSE_TOO_LARGE',
      `${url.href} answered more than ${MAX_JSON_BYTES} bytes; stopped reading`,
      { url: url.href, limit: MAX_JSON_BYTES },
    )
  }
  try {
    return JSON.parse(bytes.toString('utf8'))
  } catch (err) {
    throw new ClientError('BAD_RESPONSE', `${url.href} did not answer JSON`, {}, { cause: err })
  }
}

/**
 * The server's `{error:{code,message}}` of a failed answer, read up to MAX_ERROR_BYTES (a longer
 * body is not read at all: the status says enough); never throws.
 */
async function errorDetail(res: Response): Promise<string> {
  try {
    const bytes = await readCapped(res, MAX_ERROR_BYTES)
    if (bytes === null) return `error body over ${MAX_ERROR_BYTES} bytes, not read`
    const body = JSON.parse(bytes.toString('utf8')) as {
      error?: { code?: unknown; message?: unknown }
    }
    const { code, message } = body.error ?? {}
    if (typeof code === 'string' || typeof message === 'string') {
      return [code, message].filter((s) => typeof s === 'string').join(': ')
    }
  } catch {
    // not JSON: the status alone says enough
  }
  return ''
}

/** Throws the ClientError for a non-2xx answer; `notFound` names the 404 code for this resource. */
export async function failOnStatus(
  res: Response,
  url: URL,
  notFound: 'TEMPLATE_NOT_FOUND' | 'BUNDLE_NOT_FOUND',
): Promise<void> {
  const status = res.statusCode
  if (status >= 200 && status < 300) return
  const detail = await errorDetail(res)
  const suffix = detail ? ` (${detail})` : ''
  const context = { status, url: url.href }
  if (status === 401 || status === 403) {
    throw new ClientError(
      'UNAUTHORIZED',
      `${url.origin} refused the token: ${status}${suffix}`,
      context,
    )
  }
  if (status === 404) {
    const what = notFound === 'TEMPLATE_NOT_FOUND' ? 'template' : 'bundle'
    throw new ClientError(notFound, `no such ${what} at ${url.href}${suffix}`, context)
  }
  if (status === 503) {
    const retryAfter = res.headers['retry-after']
    const after = typeof retryAfter === 'string' ? retryAfter : undefined
    throw new ClientError(
      'NOT_READY',
      `not ready yet: ${url.href} answered 503${after ? `, retry after ${after}s` : ''}${suffix}`,
      { ...context, retryAfter: after },
    )
  }
  throw new ClientError('SERVER_ERROR', `${url.href} answered ${status}${suffix}`, context)
}
