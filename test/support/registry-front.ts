// What the registry fronts share: a server on 127.0.0.1 in front of a real registry, forwarding
// the requests it lets through (their Location headers rewritten to the front), and its stop().
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { request } from 'undici'

export interface Front {
  /** `http://127.0.0.1:<port>` */
  url: string
  /** `127.0.0.1:<port>`, as registry references name it. */
  host: string
  stop(): Promise<void>
}

export async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

export interface Forwarded {
  status: number
  headers: Record<string, string>
  body: Buffer
}

/**
 * Forwards `req` to `upstream` with its content headers and `payload` (its body, already read);
 * answers what the registry answered, a Location on `upstream` rewritten to `base`.
 */
export async function forward(
  req: IncomingMessage,
  payload: Buffer,
  upstream: string,
  base: string,
): Promise<Forwarded> {
  const url = new URL(req.url ?? '/', base)
  const headers: Record<string, string> = {}
  for (const h of ['content-type', 'content-length', 'accept']) {
    const v = req.headers[h]
    if (typeof v === 'string') headers[h] = v
  }
  const up = await request(`${upstream}${url.pathname}${url.search}`, {
    method: req.method as 'GET',
    headers,
    ...(payload.length > 0 || req.method === 'PUT' ? { body: payload } : {}),
  })
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(up.headers)) {
    if (typeof v !== 'string' || k === 'connection' || k === 'transfer-encoding') continue
    out[k] = k === 'location' ? v.replace(upstream, base) : v
  }
  return { status: up.statusCode, headers: out, body: Buffer.from(await up.body.arrayBuffer()) }
}

/** Listens with `handle`, which is given the front's own base URL with each request. */
export async function listenFront(
  handle: (req: IncomingMessage, res: ServerResponse, base: string) => Promise<void>,
): Promise<Front> {
  let base = ''
  const server = createServer((req, res) => handle(req, res, base))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  base = `http://127.0.0.1:${port}`
  return {
    url: base,
    host: `127.0.0.1:${port}`,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
