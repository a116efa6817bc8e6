// The one temp file a read appends kept file bodies to, so memory does not grow with the archive:
// created exclusively, written at known offsets, read back by range, removed by dispose().
import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { type FileHandle, open, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'

export class Spool {
  readonly path: string
  /** Bytes appended so far: the offset of the next append. */
  size = 0
  #handle: FileHandle | null
  #disposed = false

  private constructor(path: string, handle: FileHandle) {
    this.path = path
    this.#handle = handle
  }

  static async create(dir: string): Promise<Spool> {
    const path = join(dir, `.bundle-${randomBytes(12).toString('hex')}.spool`)
    return new Spool(path, await open(path, 'wx', 0o600))
  }

  /** Writes `chunk` at the end; the offset is taken at once, so appends may overlap in time. */
  async append(chunk: Uint8Array): Promise<void> {
    const handle = this.#handle
    if (handle === null) throw new Error('spool is closed for writing')
    const offset = this.size
    this.size += chunk.length
    let done = 0
    while (done < chunk.length) {
      const { bytesWritten } = await handle.write(chunk, done, chunk.length - done, offset + done)
      done += bytesWritten
    }
  }

  /** Ends writing; reads stay possible until dispose(). */
  async close(): Promise<void> {
    const handle = this.#handle
    this.#handle = null
    await handle?.close()
  }

  get disposed(): boolean {
    return this.#disposed
  }

  /** `size` bytes from `offset`. */
  read(offset: number, size: number): Readable {
    if (this.#disposed) throw new Error('bundle was disposed')
    if (size === 0) return Readable.from([])
    return createReadStream(this.path, { start: offset, end: offset + size - 1 })
  }

  async dispose(): Promise<void> {
    this.#disposed = true
    await this.close().catch(() => {})
    await rm(this.path, { force: true })
  }
}
