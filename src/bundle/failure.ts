// First failure wins: the first error recorded is the one reported, and recording it aborts the
// pipeline, so errors caused by that destruction (premature close, aborted writes) are dropped.
import type { ExtractEvents } from 'tar-stream'
import { RejectError } from '../errors.js'

export class Failure {
  error: Error | null = null
  readonly #controller = new AbortController()

  /** Aborts when the first failure is recorded; give it to `pipeline`. */
  get signal(): AbortSignal {
    return this.#controller.signal
  }

  raise(err: unknown): Error {
    if (this.error === null) {
      this.error = err instanceof Error ? err : new Error(String(err))
      this.#controller.abort(this.error)
    }
    return this.error
  }
}

/** zlib's errors as reject codes: running out of input is truncation, anything else corruption. */
export function zlibFailure(err: Error & { code?: string }): Error {
  if (err instanceof RejectError || !err.code?.startsWith('Z_')) return err
  return err.code === 'Z_BUF_ERROR'
    ? new RejectError('TRUNCATED', 'gzip stream cut short')
    : new RejectError('GZIP_CORRUPT', err.message)
}

/** tar-stream only fails on input the auditor let through: the two parsers disagree. */
export function tarStreamFailure(err: Error): Error {
  if (err instanceof RejectError || err.name === 'AbortError') return err
  return new RejectError('TAR_CORRUPT', `tar parser: ${err.message}`)
}

/** A tar-stream entry body (a streamx Readable of Buffers). */
export type EntryStream = ExtractEvents['entry'][1]

/**
 * Reads `stream` to its end, handing each chunk to `onChunk`; a returned promise pauses the stream
 * until it settles. Rejects with the first error of the stream or of `onChunk`, without destroying
 * anything: the caller records the failure first, then tears the pipeline down.
 */
export function consume(
  stream: EntryStream,
  onChunk: (chunk: Buffer) => Promise<void> | undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    // streamx may emit buffered chunks after pause(): count what is still in flight.
    let inFlight = 0
    let ended = false
    const settle = () => {
      if (ended && inFlight === 0) resolve()
    }
    stream.on('error', reject)
    stream.on('end', () => {
      ended = true
      settle()
    })
    stream.on('data', (data) => {
      let pending: Promise<void> | undefined
      try {
        pending = onChunk(data as Buffer)
      } catch (err) {
        stream.pause()
        reject(err)
        return
      }
      if (pending === undefined) return
      inFlight += 1
      stream.pause()
      pending.then(() => {
        inFlight -= 1
        if (inFlight > 0) return
        stream.resume()
        settle()
      }, reject)
    })
  })
}
