// The node:http servers `serve` listens with. What one client can hold is bounded (HttpLimits):
// the time to send its headers and its whole request (node's own checks, answered 408), an idle
// connection between requests, an answer the client stops taking — no byte moves while some wait
// to be written: destroying the socket ends the response, and the response's end closes the blob
// it streamed — and the connections open at once (past the cap, a new connection is closed as it
// is accepted, so the process keeps file descriptors for its index, its blobs and the clients it
// has).
import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { HttpLimits } from '../config.js'
import { AppError } from '../errors.js'
import type { Metrics } from '../metrics.js'

/** node's code for a request whose headers or body did not arrive within its timeouts. */
export const REQUEST_TIMEOUT_CODE = 'ERR_HTTP_REQUEST_TIMEOUT'
/** Ours: the code of the error a socket is destroyed with at the idle timeout. */
export const IDLE_TIMEOUT_CODE = 'ERR_HTTP_IDLE_TIMEOUT'

/** What node adds to keepAliveTimeout for its own timer (HTTP_SERVER_KEEP_ALIVE_TIMEOUT_BUFFER). */
const KEEP_ALIVE_MARGIN_MS = 1000

function idleTimeout(ms: number): Error {
  return Object.assign(new Error(`no byte moved on the connection for ${ms} ms`), {
    code: IDLE_TIMEOUT_CODE,
  })
}

/**
 * How often node looks for requests past headersTimeout or requestTimeout (its default, 30 s,
 * would let a 10 s timeout run to 40 s): a quarter of the shorter one, at most every second.
 */
function checkingIntervalMs(limits: HttpLimits): number {
  return Math.max(10, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4)))
}

/** A node:http server with `limits` applied; with `metrics`, its connections are counted. */
export function limitedServer(
  listener: RequestListener,
  limits: HttpLimits,
  metrics?: Metrics,
): Server {
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: checkingIntervalMs(limits),
    },
    listener,
  )
  server.maxConnections = limits.maxConnections
  // A socket's timer is the idle timeout while a request is in flight, and node's keep-alive
  // timer between requests (keepAliveTimeout plus a margin node adds). Bytes waiting to be
  // written mean an answer the client does not take: cut. Otherwise, the keep-alive timer ends
  // the connection as node would; the idle timer with nothing to write means the server is still
  // working on its answer (a verify of a large store, say) or the client is still sending (the
  // headers, request and body timeouts cover that): left alone.
  const keepAliveTimerMs = limits.keepAliveTimeoutMs + KEEP_ALIVE_MARGIN_MS
  server.setTimeout(limits.idleTimeoutMs, (socket: Socket) => {
    if (socket.writableLength > 0) socket.destroy(idleTimeout(limits.idleTimeoutMs))
    else if (socket.timeout !== limits.idleTimeoutMs || socket.timeout === keepAliveTimerMs)
      socket.destroy()
  })
  if (metrics) {
    server.on('connection', (socket: Socket) => {
      metrics.httpConnections.inc()
      socket.once('close', () => metrics.httpConnections.dec())
      socket.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === REQUEST_TIMEOUT_CODE)
          metrics.httpConnectionsTimedOut.inc({ reason: 'request' })
        else if (err.code === IDLE_TIMEOUT_CODE)
          metrics.httpConnectionsTimedOut.inc({ reason: 'idle' })
      })
    })
    server.on('drop', () => metrics.httpConnectionsRefused.inc())
  }
  return server
}

/** Listens on `hostname:port` (0: any free port); resolves with the server and its URL. */
const LISTEN_REASONS: Record<string, string> = {
  EADDRINUSE: 'the address is already in use (another process listens there)',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'not an address of this machine',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name does not resolve',
}

/**
 * Listens with the limits applied, or fails with LISTEN_FAILED naming the settings to fix
 * (`settings`, e.g. `ASSET_CACHE_HOST/ASSET_CACHE_PORT`) and the reason.
 */
export async function listenHttp(
  listener: RequestListener,
  hostname: string,
  port: number,
  settings: string,
  limits: HttpLimits,
  metrics?: Metrics,
): Promise<{ server: Server; url: string }> {
  const server = limitedServer(listener, limits, metrics)
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', (err: NodeJS.ErrnoException) => {
      const reason = LISTEN_REASONS[err.code ?? ''] ?? err.code ?? err.message
      reject(
        new AppError(
          'LISTEN_FAILED',
          `${settings}: cannot listen on ${hostname}:${port}: ${reason}`,
          {
            host: hostname,
            port,
            cause: err.code,
          },
        ),
      )
    })
    server.listen(port, hostname)
  })
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return { server, url: `http://${host}:${address.port}` }
}
