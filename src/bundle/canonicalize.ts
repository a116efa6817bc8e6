// Reads a Gitea `git archive` tar.gz into a canonical bundle. One streamed pipeline with
// backpressure: source → wire meter → gunzip (one member) → unpacked meter → auditor → tar-stream;
// kept bodies go to one spool file; then the end-of-archive checks in a fixed order (commit,
// required files, config.yaml), so that a given archive always fails the same way.
import { createHash } from 'node:crypto'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import tar from 'tar-stream'
import { RejectError } from '../errors.js'
import { TarAuditor } from './audit.js'
import { type CanonicalTarStream, canonicalTar, canonicalTarSize } from './canonical-tar.js'
import { isYamlMapping } from './config-yaml.js'
import { handleEntries } from './entries.js'
import type { AuditedEntry } from './entry-rules.js'
import { consume, type EntryStream, Failure, tarStreamFailure } from './failure.js'
import { GunzipMember } from './gzip.js'
import { type BundleLimits, resolveLimits } from './limits.js'
import { ByteMeter, Deadlines } from './meter.js'
import { compareUtf8 } from './paths.js'
import { type BundleRules, type CompiledRules, compileRules, DEFAULT_RULES } from './rules.js'
import { Spool } from './spool.js'

export interface ManifestEntry {
  path: string
  size: number
  /** 64 lowercase hex. */
  sha256: string
  mode: 0o644 | 0o755
}

export interface CanonicalBundle {
  /** From the archive's global pax `comment` record. */
  commit: string | null
  /** Kept regular files, sorted by path in UTF-8 byte order. */
  files: ManifestEntry[]
  /** All entries seen in the archive (not pax or GNU long-name headers). */
  entries: number
  /** Entries outside the allowlist, directories aside (drained, not stored). */
  skipped: number
  /** Bytes read from the source. */
  compressedBytes: number
  /** Bytes out of gunzip. */
  unpackedBytes: number
  /** Byte length of the canonical tar. */
  size: number
  /**
   * The canonical tar bytes; may be called more than once, until dispose(). Also a positional
   * reader (readInto), which the content store's put uses to copy it without a buffer per chunk.
   */
  stream(): CanonicalTarStream
  /** Removes the spool file; idempotent. */
  dispose(): Promise<void>
}

export interface CanonicalizeOptions {
  rules?: BundleRules
  limits?: Partial<BundleLimits>
  /** When given, the global pax comment must equal it (a missing comment does not). */
  expectedCommit?: string
  /** Where the spool file is created (exclusively) and removed on failure. */
  spoolDir: string
  signal?: AbortSignal
  /**
   * Whether the archive has a top-level directory to strip (GITEA_ARCHIVE_PREFIX, mirroring
   * Gitea's `[repository] PREFIX_ARCHIVE_FILES`; default true). The same files give the same
   * bundle, and digest, either way.
   */
  archivePrefix?: boolean
  /** Told each entry left out (outside the allowlist), for a report; changes no verdict. */
  onSkipped?: (path: string, type: 'file' | 'symlink') => void
}

interface SpooledFile extends ManifestEntry {
  offset: number
}

const CONFIG = 'config.yaml'

/** Reads a Gitea/`git archive` tar.gz stream; rejects with RejectError when the archive is refused. */
export async function canonicalize(
  archive: Readable,
  options: CanonicalizeOptions,
): Promise<CanonicalBundle> {
  const limits = resolveLimits(options.limits)
  const rules = compileRules(options.rules ?? DEFAULT_RULES)
  options.signal?.throwIfAborted()
  const spool = await Spool.create(options.spoolDir)
  try {
    return await read(archive, spool, { ...options, limits, rules })
  } catch (err) {
    await spool.dispose()
    throw err
  }
}

interface ReadOptions extends Omit<CanonicalizeOptions, 'limits' | 'rules'> {
  limits: BundleLimits
  rules: CompiledRules
}

async function read(archive: Readable, spool: Spool, options: ReadOptions) {
  const { limits, rules, signal, expectedCommit } = options
  const archivePrefix = options.archivePrefix ?? true
  const failure = new Failure()
  const deadlines = new Deadlines(limits, (err) => failure.raise(err))
  const wire = new ByteMeter({
    limit: limits.maxCompressedBytes,
    code: 'TOO_LARGE',
    onData: () => deadlines.touch(),
    onEnd: () => deadlines.sourceEnded(),
  })
  const gunzip = new GunzipMember()
  const unpacked = new ByteMeter({ limit: limits.maxUnpackedBytes, code: 'UNPACKED_TOO_LARGE' })
  const auditor = new TarAuditor({
    limits,
    isKept: rules.isKept,
    stripRoot: archivePrefix,
    expectedCommit,
    ...(options.onSkipped ? { onSkipped: options.onSkipped } : {}),
  })
  const extract = tar.extract()

  // Registered before pipeline() so each stage's own error is recorded before the destruction
  // it triggers makes the other stages fail too.
  archive.on('error', (err) => failure.raise(err))
  for (const stage of [wire, gunzip, unpacked, auditor]) {
    stage.on('error', (err) => failure.raise(err))
  }
  extract.on('error', (err) => failure.raise(tarStreamFailure(err)))
  const onAbort = () => failure.raise(signal?.reason)
  signal?.addEventListener('abort', onAbort, { once: true })

  const files: SpooledFile[] = []
  let config: Buffer | null = null
  const settled = handleEntries(extract, auditor, failure, async (entry, stream) => {
    if (!entry.keep) return consume(stream, () => undefined)
    const body: Buffer[] | null = entry.path === CONFIG ? [] : null
    files.push(await spoolBody(stream, entry, spool, limits, body))
    if (body) config = Buffer.concat(body)
  })

  try {
    await pipeline(archive, wire, gunzip, unpacked, auditor, extract, {
      signal: failure.signal,
    })
    await settled()
    if (failure.error) throw failure.error
    if (auditor.queue.length > 0) throw new RejectError('TAR_CORRUPT', 'tar parsers disagree')
    if (expectedCommit !== undefined && auditor.commit !== expectedCommit) {
      throw new RejectError('COMMIT_MISMATCH', `archive has no commit, expected ${expectedCommit}`)
    }
    // Read without its prefix, a prefixed archive is one directory holding everything (git
    // archive --prefix writes that directory first): the setting contradicts this Gitea's.
    const sole = archivePrefix ? null : auditor.soleTopDirectory
    if (sole !== null) {
      throw new RejectError(
        'ARCHIVE_PREFIX_MISMATCH',
        `everything is under one top-level directory: this Gitea writes archives with a prefix ([repository] PREFIX_ARCHIVE_FILES=true, its default); set GITEA_ARCHIVE_PREFIX=true`,
        `${sole}/`,
      )
    }
    const missing = rules.missing(files.map((f) => f.path))
    if (missing.length > 0) {
      throw new RejectError('MISSING_REQUIRED_FILE', `nothing matches ${missing.join(', ')}`)
    }
    if (config !== null && !isYamlMapping(config)) {
      throw new RejectError('CONFIG_NOT_MAPPING', 'config.yaml is not a YAML mapping', CONFIG)
    }
    await spool.close()
  } catch (err) {
    throw failure.error ?? err
  } finally {
    deadlines.clear()
    signal?.removeEventListener('abort', onAbort)
  }

  files.sort((a, b) => compareUtf8(a.path, b.path))
  return {
    commit: auditor.commit,
    files: files.map(({ path, size, sha256, mode }) => ({ path, size, sha256, mode })),
    entries: auditor.entries,
    skipped: auditor.skipped,
    compressedBytes: wire.bytes,
    unpackedBytes: unpacked.bytes,
    size: canonicalTarSize(files),
    stream: () => {
      if (spool.disposed) throw new Error('bundle was disposed')
      return canonicalTar(
        files.map((f) => ({
          ...f,
          open: () => spool.read(f.offset, f.size),
          readAt: (into: Uint8Array, at: number) => spool.readAt(into, f.offset + at),
        })),
      )
    },
    dispose: () => spool.dispose(),
  } satisfies CanonicalBundle
}

/** Appends one kept body to the spool, hashing it; `keep` also collects it in memory. */
async function spoolBody(
  stream: EntryStream,
  entry: AuditedEntry,
  spool: Spool,
  limits: BundleLimits,
  keep: Buffer[] | null,
): Promise<SpooledFile> {
  const hash = createHash('sha256')
  const offset = spool.size
  let size = 0
  await consume(stream, (chunk) => {
    size += chunk.length
    if (size > entry.size || size > limits.maxFileBytes) {
      throw new RejectError('FILE_TOO_LARGE', 'body longer than declared', entry.path)
    }
    hash.update(chunk)
    keep?.push(Buffer.from(chunk))
    return spool.append(chunk)
  })
  if (size !== entry.size) throw new RejectError('TRUNCATED', 'body cut short', entry.path)
  return { path: entry.path, size, sha256: hash.digest('hex'), mode: entry.mode, offset }
}
