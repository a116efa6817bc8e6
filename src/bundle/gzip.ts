// Exactly one gzip member (RFC 1952) around zlib's raw inflate. Node's Gunzip inflates a second
// member as if it were the same stream and reports trailing garbage as a corrupt header, so the
// framing is ours: the header is parsed here, the deflate body goes to InflateRaw, and the trailer
// is the bytes InflateRaw left unconsumed (its `bytesWritten` counts what it consumed): exactly 8,
// with nothing after them.
import { Transform, type TransformCallback } from 'node:stream'
import { crc32, createInflateRaw } from 'node:zlib'
import { RejectError } from '../errors.js'
import { zlibFailure } from './failure.js'

const FHCRC = 0x02
const FEXTRA = 0x04
const FNAME = 0x08
const FCOMMENT = 0x10
const FRESERVED = 0xe0
const MAX_HEADER = 64 * 1024
const INFLATE_CHUNK = 64 * 1024

const corrupt = (detail: string) => new RejectError('GZIP_CORRUPT', detail)

/** Length of the member header at the start of `buf`; null while more bytes are needed. */
export function gzipHeaderLength(buf: Buffer): number | null {
  if (buf.length > 0 && buf[0] !== 0x1f) throw corrupt('not gzip')
  if (buf.length > 1 && buf[1] !== 0x8b) throw corrupt('not gzip')
  if (buf.length > 2 && buf[2] !== 8) throw corrupt('gzip method is not deflate')
  if (buf.length < 10) return null
  const flags = buf[3]!
  if (flags & FRESERVED) throw corrupt('reserved gzip flags set')
  let at = 10
  if (flags & FEXTRA) {
    if (buf.length < at + 2) return null
    at += 2 + buf.readUInt16LE(at)
  }
  for (const flag of [FNAME, FCOMMENT]) {
    if (!(flags & flag)) continue
    const nul = at < buf.length ? buf.indexOf(0, at) : -1
    if (nul === -1) return null
    at = nul + 1
  }
  if (flags & FHCRC) {
    if (buf.length < at + 2) return null
    if (buf.readUInt16LE(at) !== (crc32(buf.subarray(0, at)) & 0xffff)) {
      throw corrupt('gzip header CRC mismatch')
    }
    at += 2
  }
  return buf.length < at ? null : at
}

/**
 * One pipeline stage: gzip bytes in, inflated bytes out. It owns its InflateRaw so that bytes after
 * the deflate end are counted rather than written to a stream that has ended, and it checks the
 * trailer (CRC-32 and length of the inflated bytes, little-endian) and what follows it at its flush.
 */
export class GunzipMember extends Transform {
  // 64 KiB out per inflate call, not zlib's 16 KiB: a quarter of the callbacks and chunks
  // downstream (processCallback/processChunk were ~4 % of an ingest's profile).
  readonly #inflate = createInflateRaw({ chunkSize: INFLATE_CHUNK })
  #header: Buffer | null = Buffer.alloc(0)
  /** Bytes after the header, and the last 8 of them. */
  #bodyBytes = 0
  #tail = Buffer.alloc(0)
  #inflated = 0
  #crc = 0
  #deflateEnded = false

  constructor() {
    super()
    this.#inflate.on('data', (chunk: Buffer) => {
      this.#inflated += chunk.length
      this.#crc = crc32(chunk, this.#crc)
      if (!this.push(chunk)) this.#inflate.pause()
    })
    this.#inflate.on('end', () => {
      this.#deflateEnded = true
    })
    this.#inflate.on('error', (err) => this.destroy(zlibFailure(err)))
  }

  override _read(size: number) {
    this.#inflate.resume()
    super._read(size)
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
    let body = chunk
    if (this.#header !== null) {
      const pending = Buffer.concat([this.#header, chunk])
      let length: number | null
      try {
        length = gzipHeaderLength(pending)
      } catch (err) {
        callback(err as Error)
        return
      }
      if (length === null) {
        this.#header = pending
        callback(pending.length > MAX_HEADER ? corrupt('gzip header over 64 KiB') : null)
        return
      }
      this.#header = null
      body = pending.subarray(length)
    }
    this.#bodyBytes += body.length
    this.#tail = Buffer.from(Buffer.concat([this.#tail, body.subarray(-8)]).subarray(-8))
    // After the deflate end, bytes are only counted: the trailer, or trailing data.
    if (body.length === 0 || this.#deflateEnded) callback()
    else this.#inflate.write(body, () => callback())
  }

  override _flush(callback: TransformCallback) {
    if (this.#header !== null) {
      callback(new RejectError('TRUNCATED', 'gzip header cut short'))
      return
    }
    const done = () => {
      try {
        this.#checkEnd()
        callback()
      } catch (err) {
        callback(err as Error)
      }
    }
    if (this.#deflateEnded) done()
    else {
      // An unfinished deflate stream fails here with Z_BUF_ERROR (TRUNCATED).
      this.#inflate.once('end', done)
      this.#inflate.end()
    }
  }

  override _destroy(err: Error | null, callback: (err: Error | null) => void) {
    this.#inflate.destroy()
    callback(err)
  }

  #checkEnd() {
    const left = this.#bodyBytes - this.#inflate.bytesWritten
    if (left < 8) throw new RejectError('TRUNCATED', 'gzip trailer missing')
    if (left > 8) throw new RejectError('TRAILING_DATA', `${left - 8} bytes after the gzip member`)
    if (this.#tail.readUInt32LE(0) !== this.#crc >>> 0) throw corrupt('gzip CRC mismatch')
    if (this.#tail.readUInt32LE(4) !== this.#inflated % 2 ** 32) throw corrupt('gzip size mismatch')
  }
}
