// GET|HEAD /v1/bundles/{digest}[/manifest] (docs/api.md#provisioner-api): the canonical tar by
// digest. Bytes are re-verified on the way out: small bundles once, when loaded into the hot
// cache; larger ones while streaming (the store holds back the last chunk until the digest
// checks, so a corrupt blob never arrives complete). A corrupt blob is quarantined and every
// template serving it is queued for a forced refresh.
//
// Decisions: a multi-range request gets 200 and the full body (RFC 9110 §14.2 lets a server
// ignore Range); gzip is offered only for full-body answers; a scoped token may read the pinned
// digest or any ready version's digest of its templates, anything else answers 404 as if unknown.
import { once } from 'node:events'
import { pipeline, Readable } from 'node:stream'
import { createGzip } from 'node:zlib'
import { Hono } from 'hono'
import { requeueServing } from '../../cache/verify.js'
import { digestInScope } from '../../db/serving.js'
import { AppError, IntegrityError } from '../../errors.js'
import type { Metrics } from '../../metrics.js'
import { SIGNED_CACHE_CONTROL } from '../../signed-url.js'
import type { AppDeps, AppEnv } from '../env.js'
import { ApiError } from '../errors.js'
import {
  asSent,
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
import { fillForRequest } from './peer-fill.js'

export const bundleRoutes = new Hono<AppEnv>()

const notFound = (digest: string) => new ApiError('NOT_FOUND', `no bundle ${digest}`)

/** digestSchema's pattern: a digest that matches it needs no zod pass (zod only words the 400). */
const DIGEST = /^sha256:[0-9a-f]{64}$/

function checkedDigest(digest: string): string {
  if (DIGEST.test(digest)) return digest
  return validated(digestParam, { digest }, 'INVALID_DIGEST').digest
}

function checkScope(deps: AppDeps, scope: string[] | null, digest: string): void {
  if (scope !== null && !digestInScope(deps.index, scope, digest)) throw notFound(digest)
}

/**
 * Withdraws a blob that failed verification: quarantine, evict, queue a forced refresh of every
 * template whose current or pinned digest it is. Never throws.
 */
export async function withdrawCorrupt(deps: AppDeps, digest: string, err: unknown): Promise<void> {
  deps.logger.error({ digest, err }, 'bundle failed verification on read; quarantined')
  deps.state.serving.cache.delete(digest)
  try {
    await deps.store.quarantine(digest)
  } catch (qerr) {
    deps.logger.error({ digest, err: qerr }, 'could not quarantine a corrupt bundle')
  }
  try {
    requeueServing(deps.index, digest, deps.onEnqueued)
  } catch (qerr) {
    deps.logger.error({ digest, err: qerr }, 'could not queue a refresh for a corrupt bundle')
  }
}

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
      await withdrawCorrupt(deps, digest, err)
      throw corrupt()
    }
    throw err
  }
  const entry = hotBundle(digest, body)
  deps.state.serving.cache.set(entry)
  return entry
}

/** An answer as status, headers and body: a web Response here, node's writeHead + end in front. */
export interface HotAnswer {
  status: number
  headers: Record<string, string>
  /** The same headers as a precomputed flat list, when the answer is one of the entry's own. */
  wire?: string[]
  body: Buffer | null
}

/**
 * The answer for a hot entry, its body bytes counted from the entry. Headers are the entry's
 * precomputed objects where the answer allows it. `header(name)` reads a request header by its
 * lower-case name.
 */
export function hotAnswer(
  metrics: Metrics,
  method: string,
  header: (name: string) => string | undefined,
  entry: HotBundle,
  cacheControl?: string,
): HotAnswer {
  const answer = entryAnswer(metrics, method, header, entry)
  if (cacheControl === undefined) return answer
  // Its own Cache-Control (a signed answer): not one of the entry's precomputed lists.
  return {
    ...answer,
    headers: { ...answer.headers, 'cache-control': cacheControl },
    wire: undefined,
  }
}

function entryAnswer(
  metrics: Metrics,
  method: string,
  header: (name: string) => string | undefined,
  entry: HotBundle,
): HotAnswer {
  const head = method === 'HEAD'
  const size = entry.body.length
  if (etagMatches(header('if-none-match'), entry.identityHeaders.ETag!)) {
    return {
      status: 304,
      headers: entry.sent.notModified,
      wire: entry.wire.notModified,
      body: null,
    }
  }
  const range = parseRange(header('range'), size)
  if (range.kind === 'unsatisfiable') {
    const headers = asSent({ ...entry.identityHeaders, 'Content-Range': `bytes */${size}` })
    return { status: 416, headers, body: null }
  }
  if (range.kind === 'partial') {
    const { start, end } = range.range
    if (!head) metrics.bundleBytesServed.inc(end - start + 1)
    const headers = asSent({
      ...entry.identityHeaders,
      'Content-Range': `bytes ${start}-${end}/${size}`,
      'Content-Length': String(end - start + 1),
    })
    return { status: 206, headers, body: head ? null : entry.body.subarray(start, end + 1) }
  }
  if (acceptsGzip(header('accept-encoding'))) {
    if (!head) metrics.bundleBytesServed.inc(entry.gzip.length)
    const body = head ? null : entry.gzip
    return { status: 200, headers: entry.sent.gzip, wire: entry.wire.gzip, body }
  }
  if (!head) metrics.bundleBytesServed.inc(size)
  return {
    status: 200,
    headers: entry.sent.full,
    wire: entry.wire.full,
    body: head ? null : entry.body,
  }
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
    if (isIntegrity(err)) void withdrawCorrupt(deps, digest, err)
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

bundleRoutes.on(['GET', 'HEAD'], '/:digest', async (c) => {
  // c.get, not c.var: c.var copies every variable into a fresh object on each access.
  const digest = checkedDigest(c.req.param('digest'))
  const cacheControl = c.get('signedUrl') ? SIGNED_CACHE_CONTROL : undefined
  const deps = c.get('deps')
  try {
    return await bundleResponse(
      deps,
      c.get('metrics'),
      c.req.raw,
      digest,
      c.get('readScope'),
      cacheControl,
    )
  } catch (err) {
    // Not here, or not for this credential here: a peer that serves it to the same credential.
    if (!(err instanceof ApiError && err.status === 404)) throw err
    if ((await fillForRequest(c, digest))?.kind !== 'bundle') throw err
    return bundleResponse(deps, c.get('metrics'), c.req.raw, digest, null, cacheControl)
  }
})

bundleRoutes.get('/:digest/manifest', (c) => {
  const digest = checkedDigest(c.req.param('digest'))
  const deps = c.get('deps')
  if (!deps.index.bundles.get(digest)) throw notFound(digest)
  checkScope(deps, c.get('readScope'), digest)
  return c.json(deps.index.bundles.files(digest), 200, {
    ETag: `"${digest}"`,
    'Cache-Control': 'public, max-age=31536000, immutable',
  })
})
