// Bounds on one archive read (docs/security.md#hostile-archives), with their defaults.

export interface BundleLimits {
  /** Bytes read from the source, counted on the wire (Content-Length is never trusted). */
  maxCompressedBytes: number
  /** Bytes out of gunzip, counted by us. */
  maxUnpackedBytes: number
  /** Real entries (files, directories, links...); PAX and GNU long-name headers do not count. */
  maxEntries: number
  /** One file, declared in its header or actually read. */
  maxFileBytes: number
  /** UTF-8 bytes of an entry path after the top-level directory is stripped. */
  maxPathBytes: number
  /** Segments of an entry path after the top-level directory is stripped. */
  maxPathSegments: number
  /** The whole read, from the call to the last check. */
  totalTimeoutMs: number
  /** Without a byte from the source. */
  idleTimeoutMs: number
}

const MIB = 1024 * 1024

/**
 * How long an archive request may wait for Gitea's first answer (GITEA_ARCHIVE_TIMEOUT past it).
 * Gitea ≤ 1.24, Forgejo and 1.25 with STREAM_ARCHIVES=false generate the archive in a queue while
 * the request waits, with no timeout of their own, and never answer for a commit they do not have;
 * 1.25 streams and answers at once. Two minutes covers a queue busy with other archives.
 */
export const ARCHIVE_WAIT_MS = 120_000

export const DEFAULT_LIMITS: Readonly<BundleLimits> = Object.freeze({
  maxCompressedBytes: 16 * MIB,
  maxUnpackedBytes: 64 * MIB,
  maxEntries: 10_000,
  maxFileBytes: 16 * MIB,
  maxPathBytes: 1024,
  maxPathSegments: 32,
  totalTimeoutMs: 60_000,
  idleTimeoutMs: 10_000,
})

/** The defaults with `overrides` applied; every limit must be a positive safe integer. */
export function resolveLimits(overrides: Partial<BundleLimits> = {}): BundleLimits {
  const limits = { ...DEFAULT_LIMITS }
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof BundleLimits)[]) {
    const value = overrides[key]
    if (value === undefined) continue
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new TypeError(`bundle limit ${key} must be a positive integer, got ${String(value)}`)
    }
    limits[key] = value
  }
  return limits
}
