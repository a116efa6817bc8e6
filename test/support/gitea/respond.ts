// Writes fake-Gitea responses: JSON like Gitea's API, and bodies shaped by a fault.
import type { ServerResponse } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Fault } from './faults.js'
import { goEncode } from './go-json.js'

/** How a fault bends a body on its way out. */
export interface BodyShape {
  slowFirstByteMs?: number
  drip?: { bytesPerChunk: number; intervalMs: number }
  truncate?: { afterBytes: number; ending: 'destroy' | 'clean' }
}

export function bodyShape(injected: Fault | null): BodyShape {
  switch (injected?.kind) {
    case 'slowFirstByte':
      return { slowFirstByteMs: injected.ms }
    case 'drip':
      return {
        drip: {
          bytesPerChunk: Math.max(1, injected.bytesPerChunk),
          intervalMs: injected.intervalMs,
        },
      }
    case 'truncate':
      return { truncate: { afterBytes: Math.max(0, injected.afterBytes), ending: injected.ending } }
    default:
      return {}
  }
}

export function isShaped(shape: BodyShape): boolean {
  return (
    shape.slowFirstByteMs !== undefined || shape.drip !== undefined || shape.truncate !== undefined
  )
}

export type BodyOutcome = 'complete' | 'truncated' | 'aborted'

/** Resolves once `chunk` is handed to the socket, or the response is gone. */
function writeFlushed(res: ServerResponse, chunk: Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('close', done)
      resolve()
    }
    res.once('close', done)
    res.write(chunk, done)
  })
}

async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal })
    return true
  } catch {
    return false
  }
}

/**
 * Streams `source` into `res` (headers must already be set) with backpressure, applying the
 * shape. Ends the response, or destroys its socket for a `destroy` truncation.
 */
export async function streamBody(
  res: ServerResponse,
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  shape: BodyShape,
  signal: AbortSignal,
  onBytes: (count: number) => void,
): Promise<BodyOutcome> {
  if (shape.slowFirstByteMs !== undefined) {
    res.flushHeaders()
    if (!(await pause(shape.slowFirstByteMs, signal))) return 'aborted'
  }
  const limit = shape.truncate?.afterBytes ?? Number.POSITIVE_INFINITY
  let sent = 0
  let cut = false
  let first = true
  for await (const chunk of source) {
    if (sent >= limit) {
      cut = true
      break
    }
    let data = chunk
    if (sent + data.length > limit) {
      data = data.subarray(0, limit - sent)
      cut = true
    }
    const step = shape.drip?.bytesPerChunk ?? data.length
    for (let offset = 0; offset < data.length; offset += step) {
      if (shape.drip && !first && !(await pause(shape.drip.intervalMs, signal))) return 'aborted'
      first = false
      if (res.destroyed) return 'aborted'
      const piece = data.subarray(offset, offset + step)
      await writeFlushed(res, piece)
      sent += piece.length
      onBytes(piece.length)
    }
    if (cut) break
  }
  if (res.destroyed) return 'aborted'
  if (cut && shape.truncate?.ending === 'destroy') {
    res.flushHeaders()
    res.socket?.destroy()
    return 'truncated'
  }
  res.end()
  return cut ? 'truncated' : 'complete'
}

export const JSON_TYPE = 'application/json;charset=utf-8'

/** A JSON answer as Gitea's ctx.JSON writes it; a shaped body goes out chunked. */
export async function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  options: {
    shape?: BodyShape
    signal: AbortSignal
    headers?: Record<string, string>
    onBytes: (n: number) => void
  },
): Promise<BodyOutcome> {
  const body = Buffer.from(goEncode(value))
  const shape = options.shape ?? {}
  const headers: Record<string, string> = { 'Content-Type': JSON_TYPE, ...options.headers }
  if (!isShaped(shape)) headers['Content-Length'] = String(body.length)
  res.writeHead(status, headers)
  if (res.req.method === 'HEAD') {
    res.end()
    return 'complete'
  }
  return streamBody(res, [body], shape, options.signal, options.onBytes)
}

/** Gitea's APIErrorNotFound body. */
export function notFoundBody(baseUrl: string, errors: string[] = []): Record<string, unknown> {
  return { message: "The target couldn't be found.", url: `${baseUrl}/api/swagger`, errors }
}
