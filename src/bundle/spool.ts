// The one temp file a read appends kept file bodies to, so memory does not grow with the archive:
// created exclusively, written at known offsets, read back by range, removed by dispose(). The one
// handle stays open from create() to dispose(): readAt() reads into the caller's buffer, so the
// canonical tar goes from here into the store without a buffer per chunk (4 concurrent 16 MiB
// ingests read back 64 MiB, which as stream chunks was 64 MiB of buffers left for the GC).
// Appends are gathered into one buffer of BATCH bytes and written when it fills (or at close()):
// tar-stream hands bodies over in ~16–64 KiB pieces, and one write per piece cost more than the
// copy (profile of ingest-16m: writeBuffer 5–6 % of the server's time).
import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { type FileHandle, open, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'

/** Bytes gathered before one write: at most two such buffers live per spool (one in flight). */
const BATCH = 256 * 1024
/** Read-back chunk size of read(). */
const READ_CHUNK = 256 * 1024

export class Spool {
  readonly path: string
  /** Bytes appended so far: the offset of the next append. */
  size = 0
  #handle: FileHandle | null
  /** Appends are allowed: from create() to close(). */
  #writable = true
  #disposed = false
  #batch: Buffer | null = null
  /** Batch buffers whose write finished, reused: a spool allocates two, however long it grows. */
  readonly #free: Buffer[] = []
  #filled = 0
  /** File offset of the batch's first byte. */
  #batchAt = 0
  /** Writes started and not yet settled; close() waits for them and reports the first failure. */
  readonly #writes = new Set<Promise<void>>()
  #error: unknown = null

  private constructor(path: string, handle: FileHandle) {
    this.path = path
    this.#handle = handle
  }

  static async create(dir: string): Promise<Spool> {
    const path = join(dir, `.bundle-${randomBytes(12).toString('hex')}.spool`)
    return new Spool(path, await open(path, 'wx+', 0o600))
  }

  /**
   * Appends `chunk` (copied at once, so the caller may reuse it and appends keep call order).
   * Returns a promise only when a full batch went to disk: wait for it before the next append.
   */
  append(chunk: Uint8Array): Promise<void> | undefined {
    if (!this.#writable) throw new Error('spool is closed for writing')
    let done = 0
    let written: Promise<void> | undefined
    while (done < chunk.length) {
      if (this.#batch === null) {
        this.#batch = this.#free.pop() ?? Buffer.allocUnsafe(BATCH)
        this.#batchAt = this.size
      }
      const n = Math.min(chunk.length - done, BATCH - this.#filled)
      this.#batch.set(chunk.subarray(done, done + n), this.#filled)
      this.#filled += n
      this.size += n
      done += n
      if (this.#filled === BATCH) written = this.#flush()
    }
    return written
  }

  /** Writes the gathered batch at its offset; the next append starts a fresh buffer. */
  #flush(): Promise<void> {
    const handle = this.#handle!
    const buffer = this.#batch!
    const batch = buffer.subarray(0, this.#filled)
    const at = this.#batchAt
    this.#batch = null
    this.#filled = 0
    const write = (async () => {
      let done = 0
      while (done < batch.length) {
        const { bytesWritten } = await handle.write(batch, done, batch.length - done, at + done)
        done += bytesWritten
      }
    })()
    const tracked = write.then(
      () => {
        this.#writes.delete(tracked)
        if (this.#writable && this.#free.length < 2) this.#free.push(buffer)
      },
      (err: unknown) => {
        this.#writes.delete(tracked)
        this.#error ??= err
        throw err
      },
    )
    this.#writes.add(tracked)
    // The caller that waits sees the failure; close() reports it too.
    tracked.catch(() => {})
    return tracked
  }

  /** Ends writing (the last batch flushed); reads stay possible until dispose(). */
  async close(): Promise<void> {
    if (!this.#writable) return
    try {
      if (this.#filled > 0) void this.#flush()
      await Promise.allSettled([...this.#writes])
      if (this.#error !== null) throw this.#error
    } finally {
      this.#writable = false
      this.#batch = null
      this.#free.length = 0
    }
  }

  get disposed(): boolean {
    return this.#disposed
  }

  /** `size` bytes from `offset` (after close()). */
  read(offset: number, size: number): Readable {
    if (this.#disposed) throw new Error('bundle was disposed')
    if (size === 0) return Readable.from([])
    return createReadStream(this.path, {
      start: offset,
      end: offset + size - 1,
      highWaterMark: READ_CHUNK,
    })
  }

  /** Copies bytes from `position` into `into` (after close()); resolves with their count. */
  async readAt(into: Uint8Array, position: number): Promise<number> {
    if (this.#disposed || this.#handle === null) throw new Error('bundle was disposed')
    if (this.#writable) throw new Error('spool is still being written')
    const { bytesRead } = await this.#handle.read(into, 0, into.length, position)
    return bytesRead
  }

  async dispose(): Promise<void> {
    this.#disposed = true
    // Nothing more is worth writing to a file about to be removed.
    this.#filled = 0
    await this.close().catch(() => {})
    const handle = this.#handle
    this.#handle = null
    await handle?.close().catch(() => {})
    await rm(this.path, { force: true })
  }
}
