// ContentStore: digest → bytes on disk (cacache's content/*); knows nothing of templates or the index.
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Readable } from 'node:stream'
import { type Detached, detachBlob, discardDetached, listDetached, reattachBlob } from './evict.js'
import { type BlobEntry, listBlobs, usageOf } from './list.js'
import { BLOBS_DIR, blobHex, blobPath, EVICTING_DIR, QUARANTINE_DIR, TMP_DIR } from './paths.js'
import { BlobReadStream, type ByteRange, readBlob, statBlob } from './read.js'
import { quarantineBlob, removeBlob } from './remove.js'
import { sweepTemp, tempPath } from './temp.js'
import { type VerifyOptions, type VerifyReport, verifyStore } from './verify.js'
import { type PutExpected, type PutResult, type PutSource, writeBlob } from './write.js'

/**
 * Invariants: a file under blobs/ is complete and was fsynced before it got its name, and its
 * name is the sha256 of the bytes written. Good bytes are never replaced; damaged ones only by a
 * put of the right bytes. Every read re-checks. Processes on one machine may share a directory
 * (see temp.ts); machines may not. Methods returning a promise reject on a malformed digest
 * (AppError INVALID_DIGEST); get() and contentPath() throw it.
 */
export class ContentStore {
  /** Absolute path of the store's root. */
  readonly dir: string

  private constructor(dir: string) {
    this.dir = dir
  }

  /** Creates blobs/sha256, tmp and quarantine as needed and removes temp files of dead processes. */
  static async open(dir: string): Promise<ContentStore> {
    const root = resolve(dir)
    for (const sub of [BLOBS_DIR, TMP_DIR, QUARANTINE_DIR, EVICTING_DIR]) {
      await mkdir(join(root, sub), { recursive: true })
    }
    await sweepTemp(root)
    return new ContentStore(root)
  }

  /** Streams, hashes and publishes atomically; IntegrityError and nothing stored on a mismatch. */
  put(source: PutSource, expected?: PutExpected): Promise<PutResult> {
    return writeBlob(this.dir, source, expected)
  }

  /** A verifying read stream (see BlobReadStream); a range is size-checked but cannot be hashed. */
  get(digest: string, expectedSize?: number, range?: ByteRange): Readable {
    const hex = blobHex(digest)
    return new BlobReadStream(blobPath(this.dir, hex), hex, expectedSize, range)
  }

  /** The whole blob, verified. */
  async read(digest: string, expectedSize?: number): Promise<Buffer> {
    return readBlob(this.get(digest, expectedSize))
  }

  /** Size on disk, or null. Does not re-hash. */
  async has(digest: string): Promise<{ size: number } | null> {
    return statBlob(this.contentPath(digest))
  }

  /** Bytes freed, 0 if absent. */
  async remove(digest: string): Promise<number> {
    return removeBlob(this.dir, blobHex(digest))
  }

  /** Takes a blob out of blobs/ pending the index's decision (see evict.ts); null if absent. */
  async detach(digest: string): Promise<Detached | null> {
    return detachBlob(this.dir, blobHex(digest))
  }

  /** Undoes detach(). */
  reattach(detached: Detached): Promise<void> {
    return reattachBlob(this.dir, detached)
  }

  /** Completes an eviction; bytes freed. */
  discard(detached: Detached): Promise<number> {
    return discardDetached(detached)
  }

  /** Blobs a stopped process detached and never decided on. */
  detached(): AsyncIterable<Detached> {
    return listDetached(this.dir)
  }

  /** Moves the blob to quarantine/<hex>.<timestamp>: never served again, kept for inspection. */
  async quarantine(digest: string): Promise<boolean> {
    return quarantineBlob(this.dir, blobHex(digest))
  }

  /** Every blob with its size on disk, in digest order. */
  list(): AsyncIterable<BlobEntry> {
    return listBlobs(this.dir)
  }

  /** Re-hashes every blob; reports corrupt ones and quarantines them when asked. */
  verify(options?: VerifyOptions): Promise<VerifyReport> {
    return verifyStore(this.dir, options)
  }

  contentPath(digest: string): string {
    return blobPath(this.dir, blobHex(digest))
  }

  /** Blob count and bytes, for the GC budget. */
  /**
   * Whether the store takes writes: creates and removes a small file where puts write their temp
   * files. Resolves to null when it does, or the error's code (`ERROR` when it has none).
   */
  async probe(): Promise<string | null> {
    const file = tempPath(this.dir)
    try {
      await writeFile(file, 'probe\n', { flag: 'wx' })
      return null
    } catch (err) {
      return (err as { code?: string }).code ?? 'ERROR'
    } finally {
      await rm(file, { force: true }).catch(() => {})
    }
  }

  usage(): Promise<{ blobs: number; bytes: number }> {
    return usageOf(this.dir)
  }
}
