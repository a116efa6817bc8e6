// Request bodies read whole before anything is known about the sender (the webhook, the admin
// UI's forms and sign-in): bounded in bytes, whatever Content-Length claims, and in time, so a
// sender that trickles or stalls is answered 408 and its connection closed instead of holding
// it, and a buffer, until the server-wide request timeout.
import type { Context, MiddlewareHandler } from 'hono'
import type { AppEnv } from '../env.js'
import { ApiError } from '../errors.js'

export interface BodyLimits {
  maxBytes: number
  /** From the first read. */
  deadlineMs: number
}

export const bodyTooLarge = (max: number) =>
  new ApiError('PAYLOAD_TOO_LARGE', `request bodies are limited to ${max} bytes here`)

const bodyTimeout = (ms: number) =>
  new ApiError('REQUEST_TIMEOUT', `the request body did not arrive within ${ms} ms`, {
    Connection: 'close',
  })

/**
 * Reads the body within `limits`. A declared length within the limit is read in one piece
 * (node's parser delivers exactly that many bytes, and @hono/node-server reads them straight from
 * the socket); a body without one is streamed and cut at the first chunk over. Past the deadline
 * the read is left behind, not cancelled: cancelling would destroy the socket before the 408
 * could be sent. Its connection closes once the 408 is sent (`Connection: close`).
 */
export async function readBody(req: Request, limits: BodyLimits): Promise<Uint8Array> {
  const { maxBytes } = limits
  const header = req.headers.get('content-length')
  if (Number(header ?? '0') > maxBytes) throw bodyTooLarge(maxBytes)
  if (!req.body) return new Uint8Array()
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(bodyTimeout(limits.deadlineMs)), limits.deadlineMs)
  })
  /** `read`, or the deadline; a read left behind may still fail: that is expected, not an error. */
  const within = <T>(read: Promise<T>): Promise<T> => {
    read.catch(() => {})
    return Promise.race([read, deadline])
  }
  try {
    if (header !== null && /^\d+$/.test(header)) {
      const body = new Uint8Array(await within(req.arrayBuffer()))
      if (body.byteLength > maxBytes) throw bodyTooLarge(maxBytes)
      return body
    }
    const chunks: Uint8Array[] = []
    let size = 0
    const reader = req.body.getReader()
    for (;;) {
      const { done, value } = await within(reader.read())
      if (done) break
      size += value.byteLength
      if (size > maxBytes) {
        reader.cancel().catch(() => {})
        throw bodyTooLarge(maxBytes)
      }
      chunks.push(value)
    }
    return Buffer.concat(chunks)
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Middleware: reads a request's body within the body limits and hands the routes after it a
 * request holding those bytes (as hono's bodyLimit does), so `c.req.parseBody()` never waits on
 * the socket. `onTooLarge` answers a body over `maxBytes`; the deadline is
 * ASSET_CACHE_BODY_TIMEOUT.
 */
export function bodyWithin<E extends AppEnv>(
  maxBytes: number,
  onTooLarge: (c: Context<E>) => Response | Promise<Response>,
): MiddlewareHandler<E> {
  return async (c, next) => {
    if (!c.req.raw.body) return next()
    const deadlineMs = c.get('deps').config.http.bodyTimeoutMs
    let body: Uint8Array
    try {
      body = await readBody(c.req.raw, { maxBytes, deadlineMs })
    } catch (err) {
      if (err instanceof ApiError && err.status === 413) return onTooLarge(c)
      throw err
    }
    c.req.raw = new Request(c.req.raw, { body })
    return next()
  }
}
