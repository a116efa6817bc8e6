// A request whose connection went away before it was read to the end (its body read failed
// because of it): the client hung up, or a server timeout closed it (http-server.ts). Neither is
// the server failing: the request is recorded as 499 or 408, logged at debug and counted —
// never a 5xx, never an error line. Both error handlers (the app's and the admin UI's) ask here
// first.
import type { IncomingMessage } from 'node:http'
import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { AppEnv } from '../env.js'
import { errorBody } from '../errors.js'
import { IDLE_TIMEOUT_CODE, REQUEST_TIMEOUT_CODE } from '../listen.js'

/**
 * Recorded (never sent: nobody is left to read it) for a request whose client closed the
 * connection: nginx's "client closed request".
 */
export const CLIENT_CLOSED = 499 as ContentfulStatusCode

const SERVER_TIMEOUTS = new Set([REQUEST_TIMEOUT_CODE, IDLE_TIMEOUT_CODE])

/**
 * Why a request could not be read to the end, if its connection is gone: `timeout` when the
 * server closed it, `client` when the client did. Under @hono/node-server (`env.incoming`) the
 * node request tells; in any runtime, an aborted signal means the client left. Null while the
 * connection is there.
 */
export function connectionLost(
  env: unknown,
  signal: AbortSignal | undefined,
): 'client' | 'timeout' | null {
  const incoming = (env as { incoming?: IncomingMessage } | undefined)?.incoming
  if (incoming !== undefined && !incoming.complete && incoming.destroyed) {
    const code = (incoming.socket?.errored as NodeJS.ErrnoException | null | undefined)?.code
    return code !== undefined && SERVER_TIMEOUTS.has(code) ? 'timeout' : 'client'
  }
  return signal?.aborted ? 'client' : null
}

/** The answer to record when the request's connection is gone, else null (a real error). */
export function lostConnectionAnswer<E extends AppEnv>(
  c: Context<E>,
  err: unknown,
): Response | null {
  const lost = connectionLost(c.env, c.req.raw.signal)
  if (lost === null) return null
  const deps = c.get('deps')
  const metrics = c.get('metrics')
  const requestId = c.get('requestId')
  if (lost === 'client') {
    // A server timeout is counted by the listener, with the connection.
    metrics.requestsAborted.inc({ route: c.req.routePath })
  }
  deps.logger.debug(
    { requestId, err },
    lost === 'client'
      ? 'the client closed the connection mid-request'
      : 'a server timeout closed the connection mid-request',
  )
  return lost === 'client'
    ? c.json(
        errorBody('CLIENT_CLOSED', 'the client closed the connection', requestId),
        CLIENT_CLOSED,
      )
    : c.json(errorBody('REQUEST_TIMEOUT', 'the request timed out', requestId), 408)
}
