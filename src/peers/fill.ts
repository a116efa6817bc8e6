// Peer fill: a digest this replica lacks is asked of its peers, each in turn, with the reader's own
// credential (the Authorization header and a signed URL's query, passed on as they came: every
// replica holds the same read tokens and URL key, so the peer applies the same read rules and
// scope as if the reader had asked it) and NO_FILL_HEADER, which makes the peer answer from what
// it holds and never fill in turn. The bytes count for nothing until they hash to the digest:
// they go through the store's own write path (hashed while streaming, nothing published on a
// mismatch), bounded in size and time; a bundle is then indexed with the file list read from it.
// One fill per digest and credential at a time; past a few at once, a fill is not tried.
import { createHash } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'
import { request } from 'undici'
import { type BundleLimits, readBundle } from '../bundle/index.js'
import type { Index } from '../db/index.js'
import { IntegrityError } from '../errors.js'
import type { Logger } from '../log.js'
import type { ContentStore } from '../store/index.js'
import type { PeerMetrics } from './metrics.js'
import { peerHref } from './peer-list.js'

/** On a request from a replica: answer from local data only, never fill from peers. */
export const NO_FILL_HEADER = 'x-asset-cache-no-fill'

/** Blobs this small that are not bundles (OCI configs and manifests) are answered, not stored. */
export const SMALL_BLOB_BYTES = 64 * 1024

export interface FillOptions {
  peers: () => Promise<URL[]>
  store: ContentStore
  index: Index
  logger: Logger
  metrics: PeerMetrics
  /** The largest body taken from a peer. */
  maxBytes: number
  /** Deadline of one fill across every peer asked (default 30 s). */
  timeoutMs?: number
  /** Deadline for a peer's headers (default 5 s). */
  headersTimeoutMs?: number
  /** Fills in flight at once (default 4). */
  maxConcurrent?: number
  /** Limits of the bundle read that lists a filled bundle's files. */
  limits?: Partial<BundleLimits>
  /** Stamps a filled bundle's index row. */
  now: () => number
}

/** What a fill produced: a bundle stored and indexed, a small verified blob, or nothing. */
export type FillResult = { kind: 'bundle' } | { kind: 'bytes'; body: Buffer } | null

export interface FillRequest {
  digest: string
  /** The path (and query) asked of each peer: `/v1/bundles/<digest>` or `/v2/<name>/blobs/<digest>`. */
  path: string
  authorization?: string | undefined
}

/** Fails the stream at the first byte past `max`. */
class Capped extends Transform {
  #seen = 0
  readonly #max: number
  constructor(max: number) {
    super()
    this.#max = max
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, callback: TransformCallback) {
    this.#seen += chunk.length
    if (this.#seen > this.#max) callback(new IntegrityError('EBADSIZE', this.#max, this.#seen))
    else callback(null, chunk)
  }
}

export class PeerFill {
  readonly #o: FillOptions
  readonly #flights = new Map<string, Promise<FillResult>>()

  constructor(options: FillOptions) {
    this.#o = options
  }

  /** Fills `req.digest` from a peer, or resolves null; never throws. */
  fill(req: FillRequest): Promise<FillResult> {
    const key = createHash('sha256')
      .update(`${req.digest}\0${req.path}\0${req.authorization ?? ''}`)
      .digest('hex')
    const flying = this.#flights.get(key)
    if (flying) return flying
    if (this.#flights.size >= (this.#o.maxConcurrent ?? 4)) {
      this.#o.metrics.fills.inc({ outcome: 'busy' })
      return Promise.resolve(null)
    }
    const started = performance.now()
    const flight = this.#fill(req)
      .catch((err: unknown) => {
        this.#o.logger.warn({ digest: req.digest, err }, 'peer fill failed')
        return 'failed' as const
      })
      .then((result) => {
        const outcome = result === 'failed' ? 'failed' : result === null ? 'not_found' : 'filled'
        this.#o.metrics.fills.inc({ outcome })
        this.#o.metrics.fillSeconds.observe((performance.now() - started) / 1000)
        return result === 'failed' ? null : result
      })
      .finally(() => this.#flights.delete(key))
    this.#flights.set(key, flight)
    return flight
  }

  async #fill(req: FillRequest): Promise<FillResult | 'failed'> {
    const signal = AbortSignal.timeout(this.#o.timeoutMs ?? 30_000)
    let failed = false
    const peers = [...(await this.#o.peers())].sort(() => Math.random() - 0.5)
    for (const peer of peers) {
      if (signal.aborted) break
      try {
        const result = await this.#from(peer, req, signal)
        if (result) return result
      } catch (err) {
        failed = true
        this.#o.logger.warn(
          { peer: peer.origin, digest: req.digest, code: (err as { code?: string }).code },
          'a peer could not fill a digest',
        )
      }
    }
    return failed ? 'failed' : null
  }

  async #from(peer: URL, req: FillRequest, signal: AbortSignal): Promise<FillResult> {
    const { store, maxBytes } = this.#o
    const headers: Record<string, string> = { [NO_FILL_HEADER]: '1', 'accept-encoding': 'identity' }
    if (req.authorization !== undefined) headers.authorization = req.authorization
    const res = await request(peerHref(peer, req.path), {
      method: 'GET',
      headers,
      signal,
      headersTimeout: this.#o.headersTimeoutMs ?? 5_000,
      bodyTimeout: this.#o.headersTimeoutMs ?? 5_000,
      maxRedirections: 0,
    } as Parameters<typeof request>[1])
    if (res.statusCode !== 200) {
      await res.body.dump().catch(() => {})
      return null
    }
    const declared = Number(res.headers['content-length'])
    if (Number.isSafeInteger(declared) && declared > maxBytes) {
      res.body.destroy()
      throw new IntegrityError('EBADSIZE', maxBytes, declared)
    }
    const capped = new Capped(maxBytes)
    res.body.on('error', (err) => capped.destroy(err))
    const put = await store.put(res.body.pipe(capped), {
      digest: req.digest,
      ...(Number.isSafeInteger(declared) ? { size: declared } : {}),
    })
    this.#o.metrics.fillBytes.inc(put.size)
    return this.#keep(req.digest, put.size, put.existed)
  }

  /** Indexes a stored blob that reads as a bundle; a small one that does not is answered and dropped. */
  async #keep(digest: string, size: number, existed: boolean): Promise<FillResult> {
    const { store, index } = this.#o
    try {
      const files = await readBundle(store.get(digest, size), {
        onFile: async (_file, body) => {
          body.resume()
        },
        ...(this.#o.limits ? { limits: this.#o.limits } : {}),
      })
      index.transaction(() => index.bundles.insert(digest, size, files, this.#o.now()))
      return { kind: 'bundle' }
    } catch (err) {
      if (size > SMALL_BLOB_BYTES) {
        if (!existed) await store.remove(digest).catch(() => {})
        throw err
      }
      const body = await store.read(digest, size)
      if (!existed) await store.remove(digest).catch(() => {})
      return { kind: 'bytes', body }
    }
  }
}
