// Docker registry token authentication in front of a real registry, as Harbor, GitLab and
// Docker Hub put it in front of distribution: every /v2 request without a valid bearer gets 401
// `WWW-Authenticate: Bearer realm="…/token",service="front",scope="repository:<name>:<actions>"`;
// GET /token with the right Basic credentials answers a bearer valid for the scopes asked; a
// valid bearer's request is forwarded to the registry (its Location headers rewritten to the
// front). Every request is recorded (method, path, query names, scheme of Authorization).
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { request } from 'undici'

export interface Recorded {
  method: string
  path: string
  query: string
  auth: string | null
}

export interface TokenFront {
  url: string
  host: string
  requests: Recorded[]
  /** Tokens issued, each with the scopes it was asked for. */
  tokens: Map<string, string[]>
  /** Answer 403 to pushes of these repositories. */
  deny: Set<string>
  stop(): Promise<void>
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

export async function startTokenFront(
  upstream: string,
  user: string,
  password: string,
): Promise<TokenFront> {
  const requests: Recorded[] = []
  const tokens = new Map<string, string[]>()
  const deny = new Set<string>()
  let base = ''
  const basic = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', base)
    const auth = req.headers.authorization ?? null
    requests.push({
      method: req.method ?? '',
      path: url.pathname,
      query: [...url.searchParams.keys()].join('&'),
      auth: auth?.split(' ')[0] ?? null,
    })
    if (url.pathname === '/token') {
      if (auth !== basic) {
        res.writeHead(401).end()
        return
      }
      const token = randomBytes(16).toString('hex')
      tokens.set(token, url.searchParams.getAll('scope'))
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ token, expires_in: 300 }))
      return
    }
    const name = /^\/v2\/(.+?)\/(?:blobs|manifests|tags)\//.exec(url.pathname)?.[1] ?? ''
    const actions = req.method === 'GET' || req.method === 'HEAD' ? 'pull' : 'push'
    const granted = auth?.startsWith('Bearer ') ? tokens.get(auth.slice(7)) : undefined
    const covers = granted?.some((s) => {
      const [, repo, acts] = /^repository:(.+):([a-z,]+)$/.exec(s) ?? []
      return repo === name && (acts ?? '').split(',').includes(actions)
    })
    if (!covers) {
      res.writeHead(401, {
        'www-authenticate': `Bearer realm="${base}/token",service="front",scope="repository:${name}:${actions === 'push' ? 'pull,push' : 'pull'}"`,
        'content-type': 'application/json',
      })
      res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}')
      return
    }
    if (actions === 'push' && deny.has(name)) {
      res.writeHead(403, { 'content-type': 'application/json' })
      res.end(
        '{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}',
      )
      return
    }
    const payload = await body(req)
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
    res.writeHead(up.statusCode, out)
    res.end(Buffer.from(await up.body.arrayBuffer()))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  base = `http://127.0.0.1:${port}`
  return {
    url: base,
    host: `127.0.0.1:${port}`,
    requests,
    tokens,
    deny,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
