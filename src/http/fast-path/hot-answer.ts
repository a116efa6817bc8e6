// The answer to GET or HEAD of a bundle held in the hot cache, as status, headers and body: built
// once here for both the node:http hot path (listener.ts) and the Hono bundle and OCI blob routes,
// so the two answer alike.
import type { Metrics } from '../../metrics.js'
import { acceptsGzip, etagMatches, parseRange } from '../middleware/http-cache.js'
import { asSent, type HotBundle } from './hot-cache.js'

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
