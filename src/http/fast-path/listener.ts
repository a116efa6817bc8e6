// The node:http request listener: a hit in the hot bundle cache is answered straight from memory —
// by `/v1/bundles/{digest}`, or as a layer by `/v2/<name>/blobs/<digest>` (oci-blob.ts);
// everything else goes to the Hono app. The hot path skips building a web Request and Response per
// request (half the CPU of a small bundle's answer); what it answers is what the app would answer
// (test/http/hot-listener.test.ts compares the two over random requests), and it hands anything it
// is not sure about — a refused or out-of-scope token, an error — to the app.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import { getRequestListener } from '@hono/node-server'
import { digestInScope } from '../../db/serving.js'
import type { Metrics } from '../../metrics.js'
import { checkSigned, SIGNED_CACHE_CONTROL } from '../../signed-url.js'
import { createApp } from '../app.js'
import type { AppDeps } from '../env.js'
import { isLoopbackHost, loopbackOnly } from '../middleware/host-guard.js'
import { grantedScope } from '../middleware/read-auth.js'
import { finishRequest, requestIdFrom } from '../middleware/request-log.js'
import { hotAnswer } from './hot-answer.js'
import type { HotBundle } from './hot-cache.js'
import { blobAnswer, blobReadable, blobTarget, OCI_PREFIX, OCI_ROUTE } from './oci-blob.js'

const PREFIX = '/v1/bundles/'
const URL_LENGTH = PREFIX.length + 'sha256:'.length + 64
const ROUTE = '/v1/bundles/:digest'
/**
 * A Host the node adapter takes as it is (its own fast check): any other Host, or none, goes to
 * the app, which validates it the adapter's full way (and may answer 400).
 */
const PLAIN_HOST = /^[a-z0-9._-]+(?::(?:[1-5]\d{3,4}|[6-9]\d{3}))?$/

/** The request headers the hot path reads, each joined with ", " when repeated (as the app sees them). */
interface HotHeaders {
  authorization?: string
  'if-none-match'?: string
  range?: string
  'accept-encoding'?: string
  'x-request-id'?: string
}

function hotHeaders(raw: string[]): HotHeaders {
  const found: HotHeaders = {}
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase()
    switch (name) {
      case 'authorization':
      case 'if-none-match':
      case 'range':
      case 'accept-encoding':
      case 'x-request-id': {
        const value = raw[i + 1]!
        const seen = found[name]
        found[name] = seen === undefined ? value : `${seen}, ${value}`
      }
    }
  }
  return found
}

/** The app behind a hot bundle path; `deps.metrics` is shared by both. */
export function createListener(deps: AppDeps): RequestListener {
  const app = createApp(deps)
  return hotBundleListener(deps, getRequestListener(app.fetch, { hostname: deps.config.host }))
}

/** Answers hot bundle hits itself and passes every other request to `app`. */
export function hotBundleListener(
  deps: AppDeps & { metrics: Metrics },
  app: (req: IncomingMessage, res: ServerResponse) => unknown,
): RequestListener {
  const { cache } = deps.state.serving
  const { metrics, logger } = deps
  const loopbackHostsOnly = loopbackOnly(deps.config)

  interface Hit {
    method: string
    /** The path without its query string (a signature is a credential: never logged). */
    path: string
    signed: boolean
    /** A /v2 layer blob rather than a /v1 bundle. */
    oci: boolean
    digest: string
    entry: HotBundle
    headers: HotHeaders
    started: number
  }

  /** A request the hot path answers, or null. Reads only; throws only what the app will word. */
  function hit(req: IncomingMessage): Hit | null {
    const { method, url } = req
    if (method !== 'GET' && method !== 'HEAD') return null
    if (url === undefined) return null
    const oci = url.startsWith(OCI_PREFIX)
    if (!oci && !url.startsWith(PREFIX)) return null
    const q = url.indexOf('?')
    const path = q === -1 ? url : url.slice(0, q)
    if (!oci && path.length !== URL_LENGTH) return null
    const host = req.headers.host
    if (host === undefined || !PLAIN_HOST.test(host)) return null
    // A plain Host is the URL's host as the adapter builds it: the app would check this value.
    if (loopbackHostsOnly && !isLoopbackHost(host)) return null
    const started = performance.now()
    const headers = hotHeaders(req.rawHeaders)
    if (oci) return q === -1 ? blobHit(method, path, headers, started) : null
    const digest = path.slice(PREFIX.length)
    let scope: string[] | null | false = null
    if (q === -1) {
      scope = grantedScope(deps.state.readTokens, headers.authorization)
      if (scope === false) return null
    } else {
      // A query: served here only as a valid signed URL; the app answers (or refuses) the rest.
      const now = deps.now()
      if (checkSigned(deps.config.urlKey, digest, url.slice(q + 1), now).kind !== 'valid') {
        return null
      }
    }
    // Only digests that were verified on load are ever in the cache: a hit needs no validation.
    const entry = cache.get(digest)
    if (!entry) return null
    if (scope !== null && !digestInScope(deps.index, scope, digest)) return null
    return { method, path, signed: q !== -1, oci: false, digest, entry, headers, started }
  }

  /** A /v2 layer blob in the hot cache that the presented credentials may read, or null. */
  function blobHit(method: string, path: string, headers: HotHeaders, started: number): Hit | null {
    const target = blobTarget(path)
    if (!target) return null
    const entry = cache.get(target.digest)
    if (!entry) return null
    if (!blobReadable(deps, target.name, target.digest, headers.authorization)) return null
    return {
      method,
      path,
      signed: false,
      oci: true,
      digest: target.digest,
      entry,
      headers,
      started,
    }
  }

  function answer(
    res: ServerResponse,
    { method, path, signed, oci, digest, entry, headers, started }: Hit,
  ) {
    const requestId = requestIdFrom(headers['x-request-id'])
    metrics.hotCacheHits.inc()
    deps.state.serving.markServed(digest)
    const header = (name: string) => headers[name as keyof HotHeaders]
    const {
      status,
      headers: sent,
      wire,
      body,
    } = oci
      ? blobAnswer(metrics, method, header, entry)
      : hotAnswer(metrics, method, header, entry, signed ? SIGNED_CACHE_CONTROL : undefined)
    // A flat list and no setHeader: node writes it without building and merging a header map.
    const list = wire ?? Object.entries(sent).flat()
    res.writeHead(status, list.concat('x-request-id', requestId))
    res.end(body ?? undefined)
    const route = oci ? OCI_ROUTE : ROUTE
    finishRequest(logger, metrics, { requestId, method, route, path, status, started })
  }

  return (req, res) => {
    let found: Hit | null = null
    try {
      found = hit(req)
    } catch (err) {
      logger.debug({ err }, 'hot bundle path declined after an error')
    }
    if (found) answer(res, found)
    else void app(req, res)
  }
}
