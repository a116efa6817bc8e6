// The container: one gzip member and nothing after it, and the size, count and time limits.
import { randomBytes } from 'node:crypto'
import { readdir, rm } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { createGzip, gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { canonicalize } from '../../src/bundle/index.js'
import { RejectError } from '../../src/errors.js'
import { accept, rejection, source, tempDir } from './helpers/run.js'
import { BLOCK, dir, file, gz, header, templateTar } from './helpers/tar.js'

const MIB = 1024 * 1024
const valid = gz(templateTar([file('tpl/prompts/a.md', 'hello\n')]))

describe('gzip framing', () => {
  it('a plain tar is not gzip', async () => {
    expect(await rejection(templateTar([]))).toBe('GZIP_CORRUPT')
  })
  it('corrupt deflate data', async () => {
    const bad = Buffer.from(valid)
    for (let i = 20; i < 40; i++) bad[i] = 0xff - bad[i]!
    expect(await rejection(bad)).toBe('GZIP_CORRUPT')
  })
  it('a CRC that does not match', async () => {
    const bad = Buffer.from(valid)
    bad[bad.length - 8]! ^= 1
    expect(await rejection(bad)).toBe('GZIP_CORRUPT')
  })
  it('a length that does not match', async () => {
    const bad = Buffer.from(valid)
    bad[bad.length - 1]! ^= 1
    expect(await rejection(bad)).toBe('GZIP_CORRUPT')
  })
  it('reserved header flags', async () => {
    const bad = Buffer.from(valid)
    bad[3] = 0x20
    expect(await rejection(bad)).toBe('GZIP_CORRUPT')
  })
  it('optional header fields (extra, name, comment, header CRC) are read', async () => {
    // FEXTRA | FNAME | FCOMMENT | FHCRC, then the same deflate body and trailer.
    const head = Buffer.concat([
      Buffer.from([0x1f, 0x8b, 8, 0x1e, 0, 0, 0, 0, 0, 3]),
      Buffer.from([4, 0, 1, 2, 3, 4]),
      Buffer.from('tpl.tar\0comment\0'),
    ])
    const { crc32 } = await import('node:zlib')
    const hcrc = Buffer.alloc(2)
    hcrc.writeUInt16LE(crc32(head) & 0xffff)
    await accept(Buffer.concat([head, hcrc, valid.subarray(10)]), { chunk: 3 })
    hcrc[0]! ^= 1
    expect(await rejection(Buffer.concat([head, hcrc, valid.subarray(10)]))).toBe('GZIP_CORRUPT')
  })
  it.each([
    ['inside the header', 5],
    ['inside the deflate data', 40],
    ['inside the trailer', valid.length - 3],
    ['before the trailer', valid.length - 8],
    ['to nothing', 0],
  ])('truncated %s', async (_, length) => {
    expect(await rejection(valid.subarray(0, length))).toBe('TRUNCATED')
  })
  it.each([1, 7, 64, valid.length])(
    'truncation is seen whatever the chunking (%i)',
    async (chunk) => {
      expect(await rejection(valid.subarray(0, valid.length - 1), { chunk })).toBe('TRUNCATED')
    },
  )
  it.each([
    ['garbage', Buffer.from('garbage')],
    ['one 0x1f byte', Buffer.from([0x1f])],
    ['zero padding', Buffer.alloc(512)],
    ['a second gzip member', gzipSync(Buffer.alloc(BLOCK))],
    ['a second copy of the archive', valid],
  ])('%s after the member is trailing data', async (_, tail) => {
    const archive = Buffer.concat([valid, tail])
    expect(await rejection(archive)).toBe('TRAILING_DATA')
    expect(await rejection(archive, { chunk: valid.length })).toBe('TRAILING_DATA')
  })
})

describe('size limits', () => {
  it('more than the compressed limit on the wire (configured)', async () => {
    const big = gz(templateTar([file('tpl/blob', randomBytes(4000))]))
    expect(await rejection(big, { limits: { maxCompressedBytes: 2000 } })).toBe('TOO_LARGE')
    await accept(big, { limits: { maxCompressedBytes: big.length } })
  })
  it('more than 16 MiB on the wire (defaults), stopping at the limit', async () => {
    const big = gzipSync(
      templateTar([file('tpl/a', randomBytes(9 * MIB)), file('tpl/b', randomBytes(9 * MIB))]),
      { level: 1 },
    )
    let pulled = 0
    const counted = source(big, 64 * 1024).map((chunk: Buffer) => {
      pulled += chunk.length
      return chunk
    })
    expect(await rejection(counted)).toBe('TOO_LARGE')
    expect(pulled).toBeLessThan(16 * MIB + 256 * 1024)
  })
  it('a gzip bomb stops at the unpacked limit (configured)', async () => {
    const bomb = gzipSync(Buffer.alloc(32 * MIB), { level: 9 })
    expect(await rejection(bomb, { limits: { maxUnpackedBytes: MIB } })).toBe('UNPACKED_TOO_LARGE')
  })
  it('a gzip bomb stops at 64 MiB unpacked (defaults), quickly and without reading it all', async () => {
    // 1 GiB of zeros in about 1 MiB on the wire, made by streaming (never 1 GiB in memory).
    const zeros = Buffer.alloc(MIB)
    const gzip = createGzip({ level: 1 })
    const done = gzip.toArray()
    for (let i = 0; i < 1024; i++)
      if (!gzip.write(zeros)) await new Promise((r) => gzip.once('drain', r))
    gzip.end()
    const bomb = Buffer.concat(await done)
    let pulled = 0
    const counted = source(bomb, 16 * 1024).map((chunk: Buffer) => {
      pulled += chunk.length
      return chunk
    })
    const started = performance.now()
    expect(await rejection(counted)).toBe('UNPACKED_TOO_LARGE')
    expect(performance.now() - started).toBeLessThan(5000)
    expect(pulled).toBeLessThan(bomb.length / 4)
  })
  it('10 000 entries pass, 10 001 do not (defaults)', async () => {
    // global header, top-level directory and config.yaml are not counted here; entries are.
    const many = (n: number) => Array.from({ length: n }, (_, i) => dir(`tpl/d${i}/`))
    const ok = await accept(gz(templateTar(many(10_000 - 2))))
    expect(ok.bundle.entries).toBe(10_000)
    expect(await rejection(gz(templateTar(many(10_001 - 2))))).toBe('TOO_MANY_ENTRIES')
  })
  it('a file over 16 MiB by its header is refused before any of its data (defaults)', async () => {
    const entry = header({ name: 'tpl/Dockerfile', size: 16 * MIB + 1 })
    expect(await rejection(gz(templateTar([entry])))).toBe('FILE_TOO_LARGE')
  })
  it('a file over the limit by its body (configured)', async () => {
    const limits = { maxFileBytes: 1000 }
    await accept(gz(templateTar([file('tpl/prompts/a.md', 'x'.repeat(1000))])), { limits })
    const over = gz(templateTar([file('tpl/prompts/a.md', 'x'.repeat(1001))]))
    expect(await rejection(over, { limits })).toBe('FILE_TOO_LARGE')
    const skipped = gz(templateTar([file('tpl/Dockerfile', 'x'.repeat(1001))]))
    expect(await rejection(skipped, { limits })).toBe('FILE_TOO_LARGE')
  })
})

/** A source that sends `bytes`, then nothing, ever (a stalled HTTP body). */
function stalled(bytes: Buffer): Readable {
  let sent = false
  return new Readable({
    read() {
      if (!sent) this.push(bytes)
      sent = true
    },
  })
}

describe('time limits', () => {
  it('idle: a source that stops sending', async () => {
    const limits = { idleTimeoutMs: 100 }
    const started = performance.now()
    expect(await rejection(stalled(valid.subarray(0, 50)), { limits })).toBe('TIMEOUT')
    expect(performance.now() - started).toBeLessThan(2000)
  })
  it('idle: a source that never sends a byte', async () => {
    expect(await rejection(stalled(Buffer.alloc(0)), { limits: { idleTimeoutMs: 50 } })).toBe(
      'TIMEOUT',
    )
  })
  it('total: a source that trickles, never idle, past the total time', async () => {
    const limits = { totalTimeoutMs: 200, idleTimeoutMs: 1000 }
    expect(await rejection(trickle(valid, 10), { limits })).toBe('TIMEOUT')
  })
  it('a slow source that keeps sending is not idle', async () => {
    const limits = { idleTimeoutMs: 150 }
    const started = performance.now()
    await accept(trickle(valid, 30, Math.ceil(valid.length / 12)), { limits })
    expect(performance.now() - started).toBeGreaterThan(300)
  })
})

/** A source that sends `bytes` in pieces of `size`, one every `ms`, then ends. */
function trickle(bytes: Buffer, ms: number, size = 1): Readable {
  let at = 0
  return new Readable({
    read() {
      setTimeout(() => {
        const piece = at < bytes.length ? bytes.subarray(at, at + size) : null
        at += size
        this.push(piece)
      }, ms)
    },
  })
}

describe('failures that are not about the archive', () => {
  it('an error from the source is passed on as it is, and the spool removed', async () => {
    const spoolDir = await tempDir()
    const broken = new Readable({
      read() {
        this.push(valid.subarray(0, 30))
        this.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))
      },
    })
    const err = await canonicalize(broken, { spoolDir }).catch((e: unknown) => e)
    expect(err).not.toBeInstanceOf(RejectError)
    expect((err as { code?: string }).code).toBe('ECONNRESET')
    expect(await readdir(spoolDir)).toEqual([])
    await rm(spoolDir, { recursive: true })
  })
  it('an abort rejects with the signal reason, and the spool is removed', async () => {
    const spoolDir = await tempDir()
    const controller = new AbortController()
    const pending = canonicalize(stalled(valid.subarray(0, 50)), {
      spoolDir,
      signal: controller.signal,
    })
    setTimeout(() => controller.abort(new Error('shutting down')), 20)
    await expect(pending).rejects.toThrow('shutting down')
    expect(await readdir(spoolDir)).toEqual([])
    await rm(spoolDir, { recursive: true })
  })
})
