// The answer to GET or HEAD of a bundle by digest, shared by the bundle route (bundles.ts) and
// the OCI blob route. Bytes are re-verified on the way out: small bundles once, when loaded into
// the hot cache; larger ones while streaming (the store holds back the last chunk until the digest
// checks, so a corrupt blob never arrives complete). A corrupt blob is withdrawn
// (cache/withdraw.ts): quarantined, and every template serving it queued for a forced refresh.
//
// Decisions: a multi-range request gets 200 and the full body (RFC 9110 §14.2 lets a server
// ignore Range); gzip is offered only for full-body answers; a scoped token may read the pinned
// digest or any ready version's digest of its templates, anything else answers 404 as if unknown.
import { once } from 'node:events'
import { pipeline, Readable } from 'node:stream'
import { createGzip } from 'node:zlib'
import { type Withdrawal, withdrawCorrupt } from '../../cache/withdraw.js'
import { digestInScope } from '../../db/serving.js'
import { AppError, IntegrityError } from '../../errors.js'
import type { Metrics } from '../../metrics.js'
import type { AppDeps } from '../env.js'
import { ApiError } from '../errors.js'
import { hotAnswer } from '../fast-path/hot-answer.js'
import {
  baseHeaders,
  HOT_MAX_BUNDLE_BYTES,
  type HotBundle,
  hotBundle,
  notModified,
  reprDigest,
} from '../fast-path/hot-cache.js'
import { acceptsGzip, etagMatches, parseRange } from '../middleware/http-cache.js'
import { validated } from '../middleware/validate.js'
import { digestParam } from '../openapi/requests.js'

/** digestSchema's pattern: a digest that matches it needs no zod pass (zod only words the 400). */
const DIGEST = /^sha256:[0-9a-f]{64}$/

export function checkedDigest(digest: string): string {
  if (DIGEST.test(digest)) return digest
  return validated(digestParam, { digest }, 'INVALID_DIGEST').digest
}

export const notFound = (digest: string) => new ApiError('NOT_FOUND', `no bundle ${digest}`)

export function checkScope(deps: AppDeps, scope: string[] | null, digest: string): void {
  if (scope !== null && !digestInScope(deps.index, scope, digest)) throw notFound(digest)
}

/** What withdrawing a corrupt blob takes from the app: its index, store, log and hot cache. */
const withdrawal = (deps: AppDeps): Withdrawal => ({
  index: deps.index,
  store: deps.store,
  logger: deps.logger,
  evict: (digest) => deps.state.serving.cache.delete(digest),
  now: deps.now,
  ...(deps.onEnqueued ? { onEnqueued: deps.onEnqueued } : {}),
})

const corrupt = () =>
  new ApiError('BUNDLE_CORRUPT', 'the bundle failed verification and was withdrawn', {
    'Retry-After': '30',
  })

const isIntegrity = (err: unknown) => err instanceof IntegrityError

const isNotFound = (err: unknown) => err instanceof AppError && err.code === 'ENOTFOUND'

/** Loads, verifies and caches a small bundle. */
async function loadHot(deps: AppDeps, digest: string, size: number): Promise<HotBundle> {
  let body: Buffer
  try {
    body = await deps.store.read(digest, size)
  } catch (err) {
    if (isNotFound(err)) throw notFound(digest)
    if (isIntegrity(err)) {
      await withdrawCorrupt(withdrawal(deps), digest, err)
      throw corrupt()
    }
    throw err
  }
  const entry = hotBundle(digest, body)
  deps.state.serving.cache.set(entry)
  return entry
}

/**
 * A hot answer as a Response. A plain header object with a Buffer body, and `res.body` never read
 * afterwards, keep @hono/node-server on its writeHead + end path (no web stream per response).
 */
function fromMemory(
  metrics: Metrics,
  req: Request,
  entry: HotBundle,
  cacheControl: string | undefined,
): Response {
  const { status, headers, body } = hotAnswer(
    metrics,
    req.method,
    (name) => req.headers.get(name) ?? undefined,
    entry,
    cacheControl,
  )
  return new Response(body, { status, headers })
}

/** Resolves once the stream has opened its file (size checked), rejects if that failed. */
async function opened(stream: Readable): Promise<void> {
  await once(stream, 'readable')
}

async function streamed(
  deps: AppDeps,
  metrics: Metrics,
  req: Request,
  digest: string,
  size: number,
  cacheControl: string | undefined,
): Promise<Response> {
  const head = req.method === 'HEAD'
  const headers: Record<string, string> = {
    ...baseHeaders(digest),
    'Repr-Digest': reprDigest(digest.slice('sha256:'.length)),
  }
  if (cacheControl !== undefined) headers['Cache-Control'] = cacheControl
  if (etagMatches(req.headers.get('if-none-match') ?? undefined, headers.ETag!)) {
    return new Response(null, { status: 304, headers: notModified(headers) })
  }
  const range = parseRange(req.headers.get('range') ?? undefined, size)
  if (range.kind === 'unsatisfiable') {
    return new Response(null, {
      status: 416,
      headers: { ...headers, 'Content-Range': `bytes */${size}` },
    })
  }
  const gzip = range.kind === 'full' && acceptsGzip(req.headers.get('accept-encoding') ?? undefined)
  let status = 200
  if (range.kind === 'partial') {
    const { start, end } = range.range
    status = 206
    headers['Content-Range'] = `bytes ${start}-${end}/${size}`
    headers['Content-Length'] = String(end - start + 1)
  } else if (gzip) {
    headers['Content-Encoding'] = 'gzip'
    // The gzipped representation's digest is not known before streaming it.
    delete headers['Repr-Digest']
  } else {
    headers['Content-Length'] = String(size)
  }
  if (head) return new Response(null, { status, headers })

  // A range cannot be hashed; its size is still checked against the file and the index.
  const source = deps.store.get(digest, size, range.kind === 'partial' ? range.range : undefined)
  source.on('error', (err) => {
    if (isIntegrity(err)) void withdrawCorrupt(withdrawal(deps), digest, err)
  })
  try {
    await opened(source)
  } catch (err) {
    source.destroy()
    if (isNotFound(err)) throw notFound(digest)
    if (isIntegrity(err)) throw corrupt()
    throw err
  }
  let body: Readable = source
  if (gzip) {
    const gz = createGzip()
    pipeline(source, gz, () => {})
    body = gz
  }
  // Bytes handed to the response as they go (after gzip): a client that leaves early is
  // counted for what it was sent.
  body.on('data', (chunk: Buffer) => metrics.bundleBytesServed.inc(chunk.length))
  return new Response(Readable.toWeb(body) as ReadableStream<Uint8Array>, { status, headers })
}

/**
 * The answer to GET or HEAD of the bundle `digest` (well formed) for a reader whose scope is
 * `scope`; shared with the OCI blob route. Throws ApiError 404 `NOT_FOUND` for a bundle that is
 * unknown, gone or out of scope, 500 `BUNDLE_CORRUPT` for one that failed verification.
 */
export async function bundleResponse(
  deps: AppDeps,
  metrics: Metrics,
  req: Request,
  digest: string,
  scope: string[] | null,
  cacheControl?: string,
): Promise<Response> {
  const { cache } = deps.state.serving
  const hit = cache.get(digest)
  if (hit) {
    checkScope(deps, scope, digest)
    metrics.hotCacheHits.inc()
    deps.state.serving.markServed(digest)
    return fromMemory(metrics, req, hit, cacheControl)
  }
  const row = deps.index.bundles.get(digest)
  if (!row) throw notFound(digest)
  checkScope(deps, scope, digest)
  if (!(await deps.store.has(digest))) throw notFound(digest)
  // A miss is a lookup of a bundle that exists and may be read (unknown digests are not misses).
  metrics.hotCacheMisses.inc()
  const res =
    row.size <= HOT_MAX_BUNDLE_BYTES
      ? fromMemory(metrics, req, await loadHot(deps, digest, row.size), cacheControl)
      : await streamed(deps, metrics, req, digest, row.size, cacheControl)
  deps.state.serving.markServed(digest)
  return res
}
