// The bundle fast path: a bounded LRU of verified small bundles held in memory with their
// response headers and gzip body precomputed, so a hit costs no hashing, no SQLite query and no
// file syscall. One per app (BundleServing, in AppDeps), never a module singleton.
import { createHash } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import type { Index } from '../../db/index.js'
import type { Logger } from '../../log.js'

/** Bundles up to this size are loaded, verified once and kept in memory. */
export const HOT_MAX_BUNDLE_BYTES = 1024 * 1024
/** Total bytes (raw + gzip) the cache may hold. */
export const HOT_BUDGET_BYTES = 64 * 1024 * 1024
/** last_served_at is written at most this often per digest. */
export const SERVED_MARK_INTERVAL_MS = 60_000

export interface HotBundle {
  digest: string
  body: Buffer
  gzip: Buffer
  /** Headers every answer for this digest carries (identity and gzip variants). */
  identityHeaders: Record<string, string>
  gzipHeaders: Record<string, string>
  /**
   * Precomputed answers (never mutated, shared by every response), in asSent form: full identity
   * body, full gzip body, 304. A plain object with a Buffer body keeps @hono/node-server on its
   * writeHead + end path.
   */
  sent: {
    full: Record<string, string>
    gzip: Record<string, string>
    notModified: Record<string, string>
  }
  /** The same answers' headers as flat [name, value, …] lists, for node's writeHead. */
  wire: {
    full: string[]
    gzip: string[]
    notModified: string[]
  }
  bytes: number
  /**
   * The /v2 blob answers (oci-blob.ts) for this bundle, full and 304: made on the first blob
   * request for this entry and kept with it, so they go when the entry goes.
   */
  blob?: { full: PrecomputedAnswer; notModified: PrecomputedAnswer }
}

/** An answer's headers as an object and as node's flat [name, value, …] list. */
export interface PrecomputedAnswer {
  headers: Record<string, string>
  wire: string[]
}

/**
 * Headers as a web Headers object would send them: lower-case names in sorted order. A plain
 * object is written by node as given, so this keeps the bytes on the wire what they were when
 * every answer went through a Headers object.
 */
export function asSent(headers: Record<string, string>): Record<string, string> {
  const entries = Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value])
  return Object.fromEntries(entries.sort(([a], [b]) => (a! < b! ? -1 : a! > b! ? 1 : 0)))
}

/** 304 keeps the validators and caching headers, drops the body-describing ones. */
export function notModified(headers: Record<string, string>): Record<string, string> {
  const { 'Content-Type': _t, 'Content-Length': _l, 'Content-Encoding': _e, ...rest } = headers
  return rest
}

/** The RFC 9530 header value for a sha256 given as hex. */
export function reprDigest(hex: string): string {
  return `sha-256=:${Buffer.from(hex, 'hex').toString('base64')}:`
}

export function baseHeaders(digest: string): Record<string, string> {
  return {
    'Content-Type': 'application/x-tar',
    ETag: `"${digest}"`,
    'Cache-Control': 'public, max-age=31536000, immutable',
    'Accept-Ranges': 'bytes',
    Vary: 'Accept-Encoding',
  }
}

/** Builds an entry from bytes the caller has already verified against `digest`. */
export function hotBundle(digest: string, body: Buffer): HotBundle {
  const gzip = gzipSync(body)
  const base = baseHeaders(digest)
  const identityHeaders = { ...base, 'Repr-Digest': reprDigest(digest.slice('sha256:'.length)) }
  // With a content coding the representation is the gzipped bytes (RFC 9530 §3).
  const gzipHeaders = {
    ...base,
    'Content-Encoding': 'gzip',
    'Content-Length': String(gzip.length),
    'Repr-Digest': reprDigest(createHash('sha256').update(gzip).digest('hex')),
  }
  const sent = {
    full: asSent({ ...identityHeaders, 'Content-Length': String(body.length) }),
    gzip: asSent(gzipHeaders),
    notModified: asSent(notModified(identityHeaders)),
  }
  const flat = (headers: Record<string, string>) => Object.entries(headers).flat()
  return {
    digest,
    body,
    gzip,
    identityHeaders,
    gzipHeaders,
    sent,
    wire: { full: flat(sent.full), gzip: flat(sent.gzip), notModified: flat(sent.notModified) },
    bytes: body.length + gzip.length,
  }
}

export class HotCache {
  readonly #budget: number
  readonly #entries = new Map<string, HotBundle>() // insertion order = recency
  #bytes = 0

  constructor(budget = HOT_BUDGET_BYTES) {
    this.#budget = budget
  }

  get bytes(): number {
    return this.#bytes
  }

  get(digest: string): HotBundle | undefined {
    const hit = this.#entries.get(digest)
    if (hit) {
      this.#entries.delete(digest)
      this.#entries.set(digest, hit)
    }
    return hit
  }

  set(entry: HotBundle): void {
    if (entry.bytes > this.#budget) return
    this.delete(entry.digest)
    this.#entries.set(entry.digest, entry)
    this.#bytes += entry.bytes
    for (const [digest, old] of this.#entries) {
      if (this.#bytes <= this.#budget) break
      this.#entries.delete(digest)
      this.#bytes -= old.bytes
    }
  }

  delete(digest: string): void {
    const old = this.#entries.get(digest)
    if (!old) return
    this.#entries.delete(digest)
    this.#bytes -= old.bytes
  }
}

/**
 * The bundle-serving state of one app: the hot cache, and when each digest's last_served_at was
 * last written. Made once per app (http/deps.ts) and carried in AppDeps.
 */
export class BundleServing {
  readonly cache = new HotCache()
  /** digest → when last_served_at was last written. */
  readonly #served = new Map<string, number>()
  readonly #index: Pick<Index, 'bundles'>
  readonly #logger: Logger
  readonly #now: () => number
  constructor(index: Pick<Index, 'bundles'>, logger: Logger, now: () => number) {
    this.#index = index
    this.#logger = logger
    this.#now = now
  }

  /** Records a serve in the index, at most once per SERVED_MARK_INTERVAL_MS per digest. */
  markServed(digest: string): void {
    const now = this.#now()
    const last = this.#served.get(digest)
    if (last !== undefined && now - last < SERVED_MARK_INTERVAL_MS) return
    this.#served.set(digest, now)
    try {
      this.#index.bundles.markServed(digest, now)
    } catch (err) {
      this.#logger.warn({ err, digest }, 'could not record bundle serve')
    }
  }
}
