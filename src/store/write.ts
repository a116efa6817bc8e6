// put: stream into an exclusive temp file, hashing and bounding as it goes, then publish by hard link.
import { createHash } from 'node:crypto'
import { type FileHandle, link, mkdir, open, rename, rm, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { digestOf } from '../digest.js'
import { IntegrityError } from '../errors.js'
import { fsyncDir, hashFile, isErrno } from './fs-util.js'
import { blobHex, blobPath } from './paths.js'
import { tempPath } from './temp.js'

export interface PutResult {
  /** `sha256:<hex>` of the bytes stored. */
  digest: string
  size: number
  /** The blob was already there; nothing was written to blobs/. */
  existed: boolean
}

/**
 * What the caller already knows about the bytes; a mismatch stores nothing. Past `size`, reading
 * stops at once, so EBADSIZE's `found` is then the count read so far, not the source's length.
 */
export interface PutExpected {
  digest?: string
  size?: number
}

/**
 * A source that copies its next bytes into the buffer it is given, resolving with their count
 * (fewer than asked only at the end, 0 after it), like a BYOB reader. put() reads such a source
 * only through readInto(), into one buffer of its own, and destroys it when done.
 */
export interface FillSource {
  readInto(into: Uint8Array): Promise<number>
  /** Called once reading stops, whether it finished or failed. */
  destroy(): unknown
}

export type PutSource = Readable | AsyncIterable<Uint8Array> | FillSource

/** One put's copy buffer when the source fills it: a few reads and writes per MiB. */
const FILL_CHUNK = 256 * 1024

export async function writeBlob(
  dir: string,
  source: PutSource,
  expected: PutExpected = {},
): Promise<PutResult> {
  try {
    if (expected.digest !== undefined) blobHex(expected.digest)
    if (
      expected.size !== undefined &&
      !(Number.isSafeInteger(expected.size) && expected.size >= 0)
    ) {
      throw new RangeError(`expected size must be a non-negative integer, got ${expected.size}`)
    }
  } catch (err) {
    // Refused before reading: release the source rather than leave it half-open.
    if (isDestroyable(source)) source.destroy()
    throw err
  }

  const tmp = tempPath(dir)
  // wx: never write into (or, below, delete) a file someone else holds; 0o444: blobs are immutable.
  let fh: FileHandle | undefined = await open(tmp, 'wx', 0o444)
  try {
    const { hex, size } = await drain(source, fh, expected.size)
    await fh.sync()
    const handle = fh
    fh = undefined
    await handle.close()

    // Size first, as cacache does: it is the cheaper and more telling mismatch.
    if (expected.size !== undefined && size !== expected.size) {
      throw new IntegrityError('EBADSIZE', expected.size, size)
    }
    if (expected.digest !== undefined && digestOf(hex) !== expected.digest) {
      throw new IntegrityError('EINTEGRITY', expected.digest, digestOf(hex))
    }
    const existed = await publish(dir, tmp, hex, size)
    return { digest: digestOf(hex), size, existed }
  } finally {
    await fh?.close().catch(() => {})
    // After a publish the blob is a second link to the same inode; dropping this name is all it takes.
    await rm(tmp, { force: true })
  }
}

/** Copies source into fh; fails at the first byte past `limit` instead of reading on. */
async function drain(
  source: PutSource,
  fh: FileHandle,
  limit: number | undefined,
): Promise<{ hex: string; size: number }> {
  if (isFillSource(source)) return drainFill(source, fh, limit)
  const hash = createHash('sha256')
  let size = 0
  await pipeline(source, async (chunks: AsyncIterable<unknown>) => {
    for await (const chunk of chunks) {
      if (!(chunk instanceof Uint8Array)) {
        throw new TypeError('put: the source must yield bytes (Uint8Array), not strings or objects')
      }
      size += chunk.byteLength
      if (limit !== undefined && size > limit) throw new IntegrityError('EBADSIZE', limit, size)
      hash.update(chunk)
      await writeAll(fh, chunk)
    }
  })
  return { hex: hash.digest('hex'), size }
}

/**
 * drain() for a FillSource: every read lands in the same buffer, hashed and written before the
 * next one, so a put allocates one buffer however large the blob (streams allocate per chunk,
 * and that garbage waits for a GC: 4 concurrent 16 MiB puts left tens of MiB of it).
 */
async function drainFill(
  source: FillSource,
  fh: FileHandle,
  limit: number | undefined,
): Promise<{ hex: string; size: number }> {
  const hash = createHash('sha256')
  // Past the limit by one byte at most: enough to know the source is longer.
  const cap = limit === undefined ? FILL_CHUNK : Math.max(1, Math.min(FILL_CHUNK, limit + 1))
  const buffer = Buffer.allocUnsafe(cap)
  let size = 0
  try {
    for (;;) {
      const want = limit === undefined ? cap : Math.max(1, Math.min(cap, limit + 1 - size))
      const n = await source.readInto(buffer.subarray(0, want))
      if (n === 0) break
      const chunk = buffer.subarray(0, n)
      size += n
      if (limit !== undefined && size > limit) throw new IntegrityError('EBADSIZE', limit, size)
      hash.update(chunk)
      await writeAll(fh, chunk)
      if (n < want) break
    }
  } finally {
    // Without an error: nobody listens for one on a source read this way.
    source.destroy()
  }
  return { hex: hash.digest('hex'), size }
}

async function writeAll(fh: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await fh.write(chunk, offset, chunk.byteLength - offset)
    offset += bytesWritten
  }
}

/**
 * Makes the fsynced temp file visible as blobs/sha256/ab/cd/<hex>. link() fails with EEXIST
 * instead of replacing, so of concurrent identical puts exactly one publishes and the others
 * report existed; a reader sees no blob or the whole blob, never a partial one. Returns existed.
 */
async function publish(dir: string, tmp: string, hex: string, size: number): Promise<boolean> {
  const dest = blobPath(dir, hex)
  const leaf = dirname(dest)
  await mkdir(leaf, { recursive: true })
  let existed = false
  try {
    await link(tmp, dest)
  } catch (err) {
    if (!isErrno(err, 'EEXIST')) throw err
    if (await intact(dest, hex, size)) {
      existed = true
    } else {
      // The blob there is damaged: our bytes hash to its name and rename() swaps them in
      // atomically, so content under a name only ever goes from wrong to right. A re-put is
      // how a damaged bundle heals.
      await rename(tmp, dest)
    }
  }
  // The fan-out directories may be new (or new from a concurrent put not yet fsynced).
  await fsyncDir(leaf)
  await fsyncDir(dirname(leaf))
  await fsyncDir(dirname(dirname(leaf)))
  return existed
}

/** Re-hashes the blob a concurrent or earlier put left: a good one is never touched. */
async function intact(path: string, hex: string, size: number): Promise<boolean> {
  const current = await stat(path).catch(() => null)
  if (!current?.isFile() || current.size !== size) return false
  const found = await hashFile(path).catch((err: unknown) => {
    if (isErrno(err, 'ENOENT')) return null
    throw err
  })
  return found !== null && found.hex === hex && found.size === size
}

function isFillSource(source: PutSource): source is FillSource {
  return typeof (source as Partial<FillSource>).readInto === 'function'
}

function isDestroyable(source: PutSource): source is Readable | FillSource {
  return typeof (source as Readable).destroy === 'function'
}
