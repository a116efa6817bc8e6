// The canonical bundle: a POSIX tar written by us, so the same files give the same bytes (and the
// same digest) on every replica. For each file, in UTF-8 byte order of path:
//   [pax header 'x' named "PaxHeader" with one `path` record, when the path is not printable
//    ASCII or is over 100 bytes]
//   ustar header: name (or "PaxHeader"), mode 0000644/0000755, uid/gid 0000000, size (11 octal
//   digits), mtime 0, typeflag '0', magic "ustar\0" version "00", empty link/uname/gname/prefix,
//   devmajor/devminor 0000000, checksum as 6 octal digits + NUL + space;
//   the body, zero-padded to 512 bytes;
// then two zero blocks, and nothing else.
import { createHash, type Hash } from 'node:crypto'
import { Readable } from 'node:stream'
import { IntegrityError } from '../errors.js'
import { checkEntryPath, compareUtf8 } from './paths.js'

export interface CanonicalFile {
  path: string
  mode: 0o644 | 0o755
  size: number
  /** When given, the body is hashed on the way out and must match (64 lowercase hex). */
  sha256?: string
  /** The body: exactly `size` bytes. Called once per written tar, unless readAt is given. */
  open(): Readable | AsyncIterable<Uint8Array>
  /**
   * Positional alternative to open(), used when given: copies body bytes from `position` into
   * `into` and resolves with their count (0 past the end), so the body needs no buffer of its own.
   */
  readAt?(into: Uint8Array, position: number): Promise<number>
}

const BLOCK = 512
const END = Buffer.alloc(2 * BLOCK)
const PAX_NAME = 'PaxHeader'
const padding = (size: number) => (BLOCK - (size % BLOCK)) % BLOCK

function fitsUstarName(path: string): boolean {
  return path.length <= 100 && /^[\x20-\x7e]*$/.test(path)
}

/** `"<len> path=<path>\n"`, where `len` counts the whole record including its own digits. */
function paxPathRecord(path: string): Buffer {
  const rest = Buffer.byteLength(` path=${path}\n`)
  let length = rest + String(rest).length
  if (String(length).length !== String(rest).length) length = rest + String(length).length
  return Buffer.from(`${length} path=${path}\n`)
}

function octal(value: number, digits: number): string {
  return `${value.toString(8).padStart(digits, '0')}\0`
}

function ustarHeader(name: string, mode: number, size: number, typeflag: '0' | 'x'): Buffer {
  const block = Buffer.alloc(BLOCK)
  block.write(name, 0, 100, 'latin1')
  block.write(octal(mode, 7), 100, 'latin1')
  block.write(octal(0, 7), 108, 'latin1')
  block.write(octal(0, 7), 116, 'latin1')
  block.write(octal(size, 11), 124, 'latin1')
  block.write(octal(0, 11), 136, 'latin1')
  block.fill(0x20, 148, 156)
  block.write(typeflag, 156, 'latin1')
  block.write('ustar\u000000', 257, 'latin1')
  block.write(octal(0, 7), 329, 'latin1')
  block.write(octal(0, 7), 337, 'latin1')
  let sum = 0
  for (const byte of block) sum += byte
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1')
  return block
}

/** Everything written before a file's body. */
function canonicalHeader(path: string, mode: 0o644 | 0o755, size: number): Buffer {
  if (fitsUstarName(path)) return ustarHeader(path, mode, size, '0')
  const record = paxPathRecord(path)
  return Buffer.concat([
    ustarHeader(PAX_NAME, 0o644, record.length, 'x'),
    record,
    Buffer.alloc(padding(record.length)),
    ustarHeader(PAX_NAME, mode, size, '0'),
  ])
}

function headerLength(path: string): number {
  if (fitsUstarName(path)) return BLOCK
  const record = paxPathRecord(path).length
  return 2 * BLOCK + record + padding(record)
}

/** Byte length of the canonical tar of `files`, known before writing it. */
export function canonicalTarSize(files: readonly Pick<CanonicalFile, 'path' | 'size'>[]): number {
  let total = END.length
  for (const { path, size } of files) total += headerLength(path) + size + padding(size)
  return total
}

function sorted<T extends Pick<CanonicalFile, 'path' | 'mode' | 'size'>>(files: readonly T[]): T[] {
  const list = [...files].sort((a, b) => compareUtf8(a.path, b.path))
  list.forEach((file, i) => {
    if (checkEntryPath(file.path) !== null)
      throw new TypeError(`bad path ${JSON.stringify(file.path)}`)
    if (file.mode !== 0o644 && file.mode !== 0o755) throw new TypeError(`bad mode for ${file.path}`)
    if (!Number.isSafeInteger(file.size) || file.size < 0) {
      throw new TypeError(`bad size for ${file.path}`)
    }
    if (i > 0 && list[i - 1]!.path === file.path) throw new TypeError(`duplicate ${file.path}`)
  })
  return list
}

/** Bytes a stream read allocates at most per chunk (readInto() allocates nothing). */
const STREAM_CHUNK = 64 * 1024

type BodyChunks = AsyncIterator<Uint8Array>

/** The body being copied out: bytes copied (`seen`) and pulled from open() (`pulled`). */
interface Body {
  file: CanonicalFile
  hash: Hash | null
  seen: number
  pulled: number
  chunks: BodyChunks | null
  /** The part of the last pulled chunk not copied out yet. */
  rest: Uint8Array | null
}

/**
 * The canonical tar as a byte stream that is also a positional reader: readInto() copies the next
 * bytes into the caller's buffer, so a consumer that reuses one buffer (the content store's put)
 * allocates nothing per chunk, and a file with readAt() is read straight into that buffer. Read it
 * one way or the other, not both.
 */
export class CanonicalTarStream extends Readable {
  /** Total bytes, known before writing (canonicalTarSize). */
  readonly byteLength: number
  readonly #files: readonly CanonicalFile[]
  #next = 0
  #produced = 0
  /** A header or the end marker, copied out from #headAt. */
  #head: Buffer | null = null
  #headAt = 0
  #body: Body | null = null
  #padding = 0
  #ended = false
  #filling = false

  constructor(files: readonly CanonicalFile[]) {
    super()
    this.#files = sorted(files)
    this.byteLength = canonicalTarSize(this.#files)
  }

  /** Fills `into` with the next bytes; fewer than its length only at the end (0 after it). */
  async readInto(into: Uint8Array): Promise<number> {
    if (this.#filling) throw new Error('canonical tar: one readInto() at a time')
    this.#filling = true
    try {
      let filled = 0
      while (filled < into.length) {
        if (this.#head !== null) {
          const n = Math.min(this.#head.length - this.#headAt, into.length - filled)
          into.set(this.#head.subarray(this.#headAt, this.#headAt + n), filled)
          filled += n
          this.#headAt += n
          if (this.#headAt === this.#head.length) this.#head = null
        } else if (this.#body !== null) {
          filled += await this.#copyBody(this.#body, into.subarray(filled))
        } else if (this.#padding > 0) {
          const n = Math.min(this.#padding, into.length - filled)
          into.fill(0, filled, filled + n)
          filled += n
          this.#padding -= n
        } else if (this.#next < this.#files.length) {
          const file = this.#files[this.#next++]!
          this.#setHead(canonicalHeader(file.path, file.mode, file.size))
          const hash = file.sha256 === undefined ? null : createHash('sha256')
          const chunks = file.readAt ? null : file.open()[Symbol.asyncIterator]()
          this.#body = { file, hash, seen: 0, pulled: 0, chunks, rest: null }
        } else if (!this.#ended) {
          this.#ended = true
          this.#setHead(END)
        } else break
      }
      this.#produced += filled
      return filled
    } finally {
      this.#filling = false
    }
  }

  #setHead(head: Buffer) {
    this.#head = head
    this.#headAt = 0
  }

  /** Copies body bytes into `into`; at the body's end, checks its size and digest. */
  async #copyBody(body: Body, into: Uint8Array): Promise<number> {
    const { file } = body
    let n = 0
    const want = Math.min(into.length, file.size - body.seen)
    if (want > 0 && file.readAt) {
      n = await file.readAt(into.subarray(0, want), body.seen)
      if (n === 0) throw new IntegrityError('EBADSIZE', file.size, body.seen)
      if (n > want) throw new RangeError('readAt() returned more bytes than asked for')
    } else if (want > 0) {
      let chunk = body.rest
      if (chunk === null) {
        chunk = await this.#pull(body)
        if (chunk === null) throw new IntegrityError('EBADSIZE', file.size, body.pulled)
      }
      n = Math.min(chunk.length, want)
      into.set(chunk.subarray(0, n))
      body.rest = n < chunk.length ? chunk.subarray(n) : null
    }
    body.hash?.update(into.subarray(0, n))
    body.seen += n
    if (body.seen === file.size) {
      // open() must end here: one more pull finds anything past the declared size.
      if (body.chunks !== null && (await this.#pull(body)) !== null) {
        throw new IntegrityError('EBADSIZE', file.size, body.pulled)
      }
      const found = body.hash?.digest('hex')
      if (found !== undefined && found !== file.sha256) {
        throw new IntegrityError('EINTEGRITY', file.sha256!, found)
      }
      this.#body = null
      this.#padding = padding(file.size)
    }
    return n
  }

  /** The next non-empty chunk of open(), or null at its end; over the size is EBADSIZE. */
  async #pull(body: Body): Promise<Uint8Array | null> {
    for (;;) {
      const { value, done } = await body.chunks!.next()
      if (done) return null
      if (value.length === 0) continue
      body.pulled += value.length
      if (body.pulled > body.file.size) {
        throw new IntegrityError('EBADSIZE', body.file.size, body.pulled)
      }
      return value
    }
  }

  override _read() {
    const left = this.byteLength - this.#produced
    if (left <= 0) {
      this.push(null)
      return
    }
    const buffer = Buffer.allocUnsafe(Math.min(STREAM_CHUNK, left))
    this.readInto(buffer).then(
      (n) => {
        if (n > 0) this.push(n === buffer.length ? buffer : buffer.subarray(0, n))
        if (n < buffer.length) this.push(null)
      },
      (err: unknown) => this.destroy(err as Error),
    )
  }

  override _destroy(err: Error | null, callback: (err: Error | null) => void) {
    const chunks = this.#body?.chunks
    this.#body = null
    if (!chunks?.return) callback(err)
    else
      chunks.return().then(
        () => callback(err),
        () => callback(err),
      )
  }
}

/** The canonical tar of `files` (any order in; sorted out). Bodies are read lazily, one at a time. */
export function canonicalTar(files: readonly CanonicalFile[]): CanonicalTarStream {
  return new CanonicalTarStream(files)
}
