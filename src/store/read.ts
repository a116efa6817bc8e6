// get / read / has: blob bytes out, re-hashed and size-checked on the way, never trusted.
import { createHash } from 'node:crypto'
import { type FileHandle, open, stat } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { digestOf } from '../digest.js'
import { AppError, IntegrityError } from '../errors.js'
import { isErrno } from './fs-util.js'

/** Inclusive byte offsets, as in HTTP Range and fs.createReadStream. */
export interface ByteRange {
  start: number
  end: number
}

const CHUNK = 64 * 1024

/**
 * A verifying read stream. It errors (IntegrityError EBADSIZE / EINTEGRITY, or AppError
 * ENOTFOUND) instead of ending when the bytes are wrong, and it holds back the last chunk until
 * the digest is checked: a consumer that forwards chunks as they come (an HTTP response with a
 * Content-Length) never delivers a complete-looking wrong body. A range read cannot be hashed;
 * its size is still checked against the file and the expected size.
 */
export class BlobReadStream extends Readable {
  readonly #path: string
  readonly #hex: string
  readonly #expectedSize: number | undefined
  readonly #range: ByteRange | undefined
  readonly #hash = createHash('sha256')
  #fh: FileHandle | undefined
  #size = 0 // at open
  #pos = 0
  #stop = Number.POSITIVE_INFINITY // exclusive; a full read goes to EOF, not to the stat size
  #held: Buffer | null = null

  constructor(path: string, hex: string, expectedSize?: number, range?: ByteRange) {
    // Arguments are checked before super(): once constructed, the stream opens its file.
    if (expectedSize !== undefined && !(Number.isSafeInteger(expectedSize) && expectedSize >= 0)) {
      throw new RangeError(`expected size must be a non-negative integer, got ${expectedSize}`)
    }
    if (range !== undefined && !validRange(range)) {
      throw new RangeError(`invalid byte range ${range.start}-${range.end}`)
    }
    super()
    this.#path = path
    this.#hex = hex
    this.#expectedSize = expectedSize
    this.#range = range
  }

  override _construct(callback: (err?: Error | null) => void): void {
    this.#open().then(() => callback(), callback)
  }

  async #open(): Promise<void> {
    try {
      this.#fh = await open(this.#path, 'r')
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw notFound(this.#hex)
      throw err
    }
    const { size } = await this.#fh.stat()
    this.#size = size
    if (this.#expectedSize !== undefined && size !== this.#expectedSize) {
      throw new IntegrityError('EBADSIZE', this.#expectedSize, size)
    }
    if (this.#range !== undefined) {
      if (this.#range.end >= size) {
        throw new RangeError(`byte range ${this.#range.start}-${this.#range.end} outside ${size}`)
      }
      this.#pos = this.#range.start
      this.#stop = this.#range.end + 1
    }
  }

  override _read(): void {
    this.#next().catch((err: unknown) => this.destroy(err as Error))
  }

  async #next(): Promise<void> {
    for (;;) {
      const fh = this.#fh
      if (fh === undefined || this.destroyed) return
      const want = Math.min(CHUNK, this.#stop - this.#pos)
      const buf = Buffer.allocUnsafe(want)
      const { bytesRead } = want > 0 ? await fh.read(buf, 0, want, this.#pos) : { bytesRead: 0 }
      if (bytesRead === 0) return this.#finish()
      const chunk = buf.subarray(0, bytesRead)
      this.#pos += bytesRead
      if (this.#range === undefined) {
        if (this.#expectedSize !== undefined && this.#pos > this.#expectedSize) {
          throw new IntegrityError('EBADSIZE', this.#expectedSize, this.#pos)
        }
        this.#hash.update(chunk)
      }
      const held = this.#held
      this.#held = chunk
      if (held !== null) {
        this.push(held)
        return
      }
    }
  }

  #finish(): void {
    if (this.#range !== undefined) {
      // The file shrank under a range read after the stat checked it.
      if (this.#pos !== this.#stop) throw new IntegrityError('EBADSIZE', this.#size, this.#pos)
    } else {
      if (this.#expectedSize !== undefined && this.#pos !== this.#expectedSize) {
        throw new IntegrityError('EBADSIZE', this.#expectedSize, this.#pos)
      }
      const found = this.#hash.digest('hex')
      if (found !== this.#hex) {
        throw new IntegrityError('EINTEGRITY', digestOf(this.#hex), digestOf(found))
      }
    }
    if (this.#held !== null) this.push(this.#held)
    this.#held = null
    this.push(null)
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    const fh = this.#fh
    this.#fh = undefined
    if (fh === undefined) {
      callback(err)
      return
    }
    fh.close().then(
      () => callback(err),
      () => callback(err),
    )
  }
}

function validRange({ start, end }: ByteRange): boolean {
  return Number.isSafeInteger(start) && Number.isSafeInteger(end) && 0 <= start && start <= end
}

/** The whole blob, verified. */
export async function readBlob(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** Size on disk, or null when absent. Not a verification: get/read/verify re-hash. */
export async function statBlob(path: string): Promise<{ size: number } | null> {
  try {
    const st = await stat(path)
    return st.isFile() ? { size: st.size } : null
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null
    throw err
  }
}

export function notFound(hex: string): AppError {
  return new AppError('ENOTFOUND', 'no such blob', { digest: digestOf(hex) })
}
