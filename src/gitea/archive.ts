// The Gitea side of an archive download: the counter of archive bytes on the wire, and the mapping
// of a download that went wrong (a socket that died, a truncated or stalled archive) to the
// retryable GiteaError the job's retries act on. The refresh job (jobs/refresh.ts) orchestrates.
import { Transform, type TransformCallback } from 'node:stream'
import { isRejectError, type RejectError } from '../errors.js'
import { type GiteaClient, GiteaError, networkError, networkErrorKind } from './client.js'

/** Archive faults that mean the download failed, not that the content is bad. */
export const transient = (err: RejectError) => err.code === 'TRUNCATED' || err.code === 'TIMEOUT'

/** Bytes of copied archive data buffered ahead of the validator before the socket is paused. */
const ARCHIVE_BUFFER = 512 * 1024

/**
 * Counts the archive bytes on the wire, marks the end of the download, and copies each chunk out
 * of undici's body. undici's body chunks are views into the buffer socket.read() returned, which
 * concatenates everything the socket had queued: one small view left waiting in a buffer pins the
 * whole (often multi-MiB) concatenation. A heap snapshot at the peak of 4 concurrent 16 MiB
 * ingests found ~150 MiB of such backing stores held by BodyReadable's buffer. Copying here lets
 * each one go as soon as it is parsed, and the read-ahead is held as compact copies (bounded by
 * ARCHIVE_BUFFER), not as pinned views in undici's body (kept at its small default).
 */
export class WireCounter extends Transform {
  bytes = 0
  readonly #onEnd: () => void
  constructor(onEnd: () => void) {
    super({ readableHighWaterMark: ARCHIVE_BUFFER })
    this.#onEnd = onEnd
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
    this.bytes += chunk.length
    // A chunk that is most of its backing store pins nothing worth a copy.
    callback(null, chunk.length * 2 < chunk.buffer.byteLength ? Buffer.from(chunk) : chunk)
  }
  override _flush(callback: TransformCallback) {
    this.#onEnd()
    callback()
  }
}

/**
 * What a failed archive ingest throws: a network fault of the body (`sourceError`) or a truncated
 * or stalled archive becomes a retryable GiteaError, noted on the client's error counts; anything
 * else is returned as it is.
 */
export function archiveFault(
  gitea: GiteaClient,
  err: unknown,
  sourceError: unknown,
  signal: AbortSignal,
): unknown {
  // A socket that died mid-body, or a 200 cut short: a failed download, retried.
  if (sourceError !== null) {
    if (!signal.aborted) gitea.noteError(networkErrorKind(sourceError))
    return networkError(sourceError)
  }
  if (isRejectError(err) && transient(err)) {
    gitea.noteError(err.code === 'TRUNCATED' ? 'truncated' : 'timeout')
    return new GiteaError('GITEA_UNAVAILABLE', `archive download: ${err.code}: ${err.message}`, {
      retryable: true,
      cause: err,
    })
  }
  return err
}
