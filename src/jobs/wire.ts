// The archive body on its way from undici to the validator: counted, copied out of undici's
// buffers, and local disk failures told apart from Gitea's.
import { Transform, type TransformCallback } from 'node:stream'

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

const STORAGE_ERRNOS = new Set(['ENOSPC', 'EROFS', 'EDQUOT', 'EIO'])

/** The errno of a local filesystem failure (spool, blob write), or null. */
export function storageFailure(err: unknown): string | null {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code
    if (typeof code === 'string' && STORAGE_ERRNOS.has(code)) return code
  }
  return null
}
