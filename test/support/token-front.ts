// Docker registry token authentication in front of a real registry, as Harbor, GitLab and
// Docker Hub put it in front of distribution: every /v2 request without a valid bearer gets 401
// `WWW-Authenticate: Bearer realm="…/token",service="front",scope="repository:<name>:<actions>"`;
// GET /token with the right Basic credentials answers a bearer valid for the scopes asked; a
// valid bearer's request is forwarded to the registry (its Location headers rewritten to the
// front). Every request is recorded (method, path, query names, scheme of Authorization).
import { randomBytes } from 'node:crypto'
import { bodyOf, type Front, forward, listenFront } from './registry-front.js'

export interface Recorded {
  method: string
  path: string
  query: string
  auth: string | null
}

export interface TokenFront extends Front {
  requests: Recorded[]
  /** Tokens issued, each with the scopes it was asked for. */
  tokens: Map<string, string[]>
  /** Answer 403 to pushes of these repositories. */
  deny: Set<string>
}

export async function startTokenFront(
  upstream: string,
  user: string,
  password: string,
): Promise<TokenFront> {
  const requests: Recorded[] = []
  const tokens = new Map<string, string[]>()
  const deny = new Set<string>()
  const basic = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
  const front = await listenFront(async (req, res, base) => {
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
    const up = await forward(req, await bodyOf(req), upstream, base)
    res.writeHead(up.status, up.headers)
    res.end(up.body)
  })
  return { ...front, requests, tokens, deny }
}
