// Git's smart HTTP protocol on `/{owner}/{repo}.git/...`, served by `git http-backend` over the
// repository's real directory, so that `git clone` and `git push` work against the fake Gitea.
// Pushing needs a token with write scope (Basic auth, the token as password or user, as Gitea
// accepts it); after a push every moved branch is delivered to the repository's hooks, as Gitea's
// post-receive does (services/repository/push.go), once the push has been answered.
import { spawn } from 'node:child_process'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { git } from '../git.js'
import type { HookBook } from './hooks.js'
import type { GitRepo } from './repo.js'

export const GIT_ROUTE =
  /^\/([^/]+)\/([^/]+?)\.git(\/(?:info\/refs|git-upload-pack|git-receive-pack))$/

async function branchHeads(repo: GitRepo): Promise<Map<string, string>> {
  const out = await git(repo.dir, [
    'for-each-ref',
    '--format=%(refname) %(objectname)',
    'refs/heads',
  ])
  return new Map(
    out
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' ') as [string, string]),
  )
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** Runs `git http-backend` as a CGI for one request and writes its answer. */
async function cgi(req: IncomingMessage, res: ServerResponse, repo: GitRepo, pathInfo: string) {
  const input = await body(req)
  const url = new URL(req.url ?? '/', 'http://fake')
  const child = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GIT_PROJECT_ROOT: repo.dir,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: `/.git${pathInfo}`,
      REQUEST_METHOD: req.method ?? 'GET',
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      CONTENT_LENGTH: String(input.length),
      REMOTE_USER: 'gitea-admin',
      REMOTE_ADDR: '127.0.0.1',
      ...(req.headers['content-encoding']
        ? { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) }
        : {}),
      ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
    },
    stdio: ['pipe', 'pipe', 'ignore'],
  })
  child.stdin.end(input)
  const out: Buffer[] = []
  for await (const chunk of child.stdout) out.push(chunk as Buffer)
  await new Promise((resolve) => child.once('close', resolve))
  const all = Buffer.concat(out)
  const split = all.indexOf('\r\n\r\n') !== -1 ? all.indexOf('\r\n\r\n') : all.indexOf('\n\n')
  const gap = all[split] === 0x0d ? 4 : 2
  const headers: Record<string, string> = {}
  let status = 200
  for (const line of all.subarray(0, split).toString('latin1').split(/\r?\n/)) {
    const colon = line.indexOf(':')
    if (colon === -1) continue
    const name = line.slice(0, colon).trim()
    const value = line.slice(colon + 1).trim()
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10)
    else headers[name] = value
  }
  res.writeHead(status, headers)
  res.end(all.subarray(split + gap))
}

export interface GitHttpOptions {
  /** The repository `owner/name` names (case-insensitive), or null. */
  find(owner: string, name: string): GitRepo | null
  /** Whether the Authorization header carries a token with write scope. */
  canWrite(authorization: string | undefined): boolean
  hooks: HookBook
}

/** Answers a git smart HTTP request; false when `path` is not one. */
export async function serveGit(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  options: GitHttpOptions,
): Promise<boolean> {
  const match = GIT_ROUTE.exec(path)
  if (!match) return false
  const repo = options.find(decodeURIComponent(match[1]!), decodeURIComponent(match[2]!))
  if (!repo) {
    res.writeHead(404).end('Not found\n')
    return true
  }
  const service = new URL(req.url ?? '/', 'http://fake').searchParams.get('service')
  const pushing = match[3] === '/git-receive-pack' || service === 'git-receive-pack'
  if (pushing && !options.canWrite(req.headers.authorization)) {
    res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="Gitea"' }).end('Unauthorized\n')
    return true
  }
  if (match[3] !== '/git-receive-pack') {
    await cgi(req, res, repo, match[3]!)
    return true
  }
  // Pushing to the checked-out branch updates the work tree too, so repo.commit() keeps working.
  await git(repo.dir, ['config', 'receive.denyCurrentBranch', 'updateInstead'])
  const before = await branchHeads(repo)
  await cgi(req, res, repo, match[3])
  const after = await branchHeads(repo)
  for (const [ref, sha] of after) {
    const old = before.get(ref) ?? repo.zeroId
    if (old !== sha)
      options.hooks.track(options.hooks.deliverPush(repo, { ref, before: old, after: sha }))
  }
  return true
}
