// What every HTTP request ends with, whichever path answered it (the Hono app or the hot bundle
// listener in front of it): its request id, one `info` log line and the request metrics.
import { randomUUID } from 'node:crypto'
import type { Logger } from '../../log.js'
import type { Metrics } from '../../metrics.js'

const REQUEST_ID_MAX = 255
const REQUEST_ID_CHARS = /[^\w\-=]/

/** The caller's X-Request-Id when it is short and plain (word characters, `-`, `=`), else a UUID. */
export function requestIdFrom(header: string | undefined): string {
  if (!header || header.length > REQUEST_ID_MAX || REQUEST_ID_CHARS.test(header))
    return randomUUID()
  return header
}

export interface FinishedRequest {
  requestId: string
  method: string
  /** The matched pattern (e.g. /v1/bundles/:digest), never the raw path: bounded label values. */
  route: string
  /** The path without its query string: tokens may travel in a query. */
  path: string
  status: number
  /** performance.now() when the request arrived. */
  started: number
}

/** Counts the request and logs its one line. Never the query string or headers. */
export function finishRequest(logger: Logger, metrics: Metrics, r: FinishedRequest): void {
  const seconds = (performance.now() - r.started) / 1000
  metrics.request(r.route, r.method, r.status, seconds)
  logger.info(
    {
      requestId: r.requestId,
      method: r.method,
      route: r.route,
      path: r.path,
      status: r.status,
      ms: Math.round(seconds * 100_000) / 100,
    },
    'request',
  )
}
