// The fake Gitea HTTP server: routing, token auth, request log, counters, proxy-level faults.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { serveArchive } from './archive-route.js'
import { serveBranch } from './branch-route.js'
import {
  type ArchiveMode,
  emptyCounters,
  type FakeGiteaCounters,
  type RequestRecord,
  type RouteContext,
  type ServedRepo,
} from './context.js'
import { FaultBook, type RouteKind } from './faults.js'
import { serveGit } from './git-http.js'
import { HookBook } from './hooks.js'
import type { GitRepo, RepoFiles } from './repo.js'
import { REPO_API, RepoApi, type StoredStatus, type TokenAccess } from './repo-api.js'
import { notFoundBody, sendJson } from './respond.js'
import { sendWebhook, type WebhookDelivery, type WebhookOptions } from './webhook.js'

export interface FakeGiteaOptions {
  /** Accepted API tokens. With any configured, repositories are private unless added otherwise. */
  tokens?: string[]
  host?: string
  port?: number
  /**
   * What each token may do beyond reading (they are accepted tokens too): `write` scope posts
   * commit statuses, `admin` manages the repository's webhooks. A token not listed reads only.
   */
  tokenAccess?: Record<string, TokenAccess>
}

export interface AddRepoOptions {
  /** Private repositories answer 404 without a valid token; default: private iff tokens exist. */
  private?: boolean
}

export interface FakeGitea {
  /** `http://127.0.0.1:<port>`, no trailing slash: use as GITEA_BASE_URL. */
  readonly url: string
  /** Live set: delete a token to simulate revocation. */
  readonly tokens: Set<string>
  readonly requests: RequestRecord[]
  readonly counters: FakeGiteaCounters
  readonly faults: FaultBook
  /** Serves `repo` (matched case-insensitively) and points `repo.baseUrl` at this server. */
  addRepo(repo: GitRepo, options?: AddRepoOptions): GitRepo
  removeRepo(fullName: string): void
  /** How archives are served from now on (default `stream`). */
  setArchiveMode(mode: ArchiveMode): void
  /** Gitea's `[repository] PREFIX_ARCHIVE_FILES` from now on (default true). */
  setPrefixArchiveFiles(prefix: boolean): void
  /** The repositories' webhooks (created through the hooks API) and their deliveries. */
  readonly hooks: HookBook
  /** Commit statuses posted, newest first. */
  statuses(repo: string, sha: string): StoredStatus[]
  /**
   * Commits `files` on a branch (default: the default branch) and delivers the push to its hooks.
   * A real `git push` to `<url>/<owner>/<name>.git` (a token with write scope as password) does
   * the same; its deliveries are made after the push is answered (`hooks.settled()`).
   */
  push(
    repo: GitRepo,
    files: RepoFiles,
    options?: { branch?: string; message?: string; delete?: string[] },
  ): Promise<string>
  /** Delivers a webhook as Gitea does; see sendWebhook. */
  sendWebhook(targetUrl: string, options: WebhookOptions): Promise<WebhookDelivery>
  /** Clears the request log, counters and faults. */
  reset(): void
  /** Closes the listener and every connection, hung ones included. */
  stop(): Promise<void>
}

const ROUTE = /^\/api\/v1\/repos\/([^/]+)\/([^/]+)\/(branches|archive)\/(.+)$/

/** `token <t>` and `Bearer <t>` (Gitea's API auth), or a token as either half of Basic auth. */
function presentedTokens(header: string | undefined): string[] {
  const match = /^(\S+)\s+(.+)$/.exec(header?.trim() ?? '')
  if (!match) return []
  const scheme = match[1]!.toLowerCase()
  const value = match[2]!.trim()
  if (scheme === 'token' || scheme === 'bearer') return [value]
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    return colon === -1 ? [decoded] : [decoded.slice(0, colon), decoded.slice(colon + 1)]
  }
  return []
}

/** Gitea 1.25's apiAuth answer to a token it does not know. */
function tokenRejectedBody(baseUrl: string): Record<string, unknown> {
  return { message: 'invalid username, password or token', url: `${baseUrl}/api/swagger` }
}

function decodePath(raw: string): string | null {
  try {
    return decodeURIComponent(raw)
  } catch {
    return null
  }
}

export async function startFakeGitea(options: FakeGiteaOptions = {}): Promise<FakeGitea> {
  const access = new Map(Object.entries(options.tokenAccess ?? {}))
  const tokens = new Set([...(options.tokens ?? []), ...access.keys()])
  const hooks = new HookBook()
  const repoApi = new RepoApi(hooks)
  const privateByDefault = tokens.size > 0
  const repos = new Map<string, ServedRepo>()
  const requests: RequestRecord[] = []
  const counters = emptyCounters()
  const faults = new FaultBook()
  const stopping = new AbortController()
  let baseUrl = ''
  let archiveMode: ArchiveMode = { kind: 'stream' }
  let prefixArchiveFiles = true

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    record: RequestRecord,
  ): Promise<void> {
    const onBytes = (count: number) => {
      record.bytes += count
      counters.bytesSent += count
    }
    const json = (status: number, body: unknown, headers?: Record<string, string>) =>
      sendJson(res, status, body, { signal: stopping.signal, headers, onBytes })

    const isGit = await serveGit(req, res, record.path, {
      find: (owner, name) => repos.get(`${owner}/${name}`.toLowerCase())?.repo ?? null,
      canWrite: (header) =>
        presentedTokens(header).some((token) => access.get(token)?.scope === 'write'),
      hooks,
    })
    if (isGit) return

    const api = REPO_API.exec(record.path)
    if (api) {
      const presented = presentedTokens(req.headers.authorization)
      const known = presented.find((token) => tokens.has(token))
      if (presented.length > 0 && known === undefined) {
        await json(401, tokenRejectedBody(baseUrl))
        return
      }
      record.repo = `${decodePath(api[1]!)}/${decodePath(api[2]!)}`
      const served = repos.get(record.repo.toLowerCase())
      if (!served || (served.private && known === undefined)) {
        await json(404, notFoundBody(baseUrl))
        return
      }
      const answer = await repoApi.handle({
        req,
        method: req.method ?? 'GET',
        resource: api[3]!,
        item: api[4] === undefined ? null : decodePath(api[4]),
        query: new URL(req.url ?? '/', 'http://fake').searchParams,
        served,
        access: known === undefined ? null : (access.get(known) ?? { scope: 'read' }),
        baseUrl,
      })
      if (answer.status === 204) {
        res.writeHead(204)
        res.end()
        return
      }
      await json(answer.status, answer.body, answer.headers)
      return
    }

    const match = ROUTE.exec(record.path)
    const owner = match ? decodePath(match[1]!) : null
    const name = match ? decodePath(match[2]!) : null
    const rest = match ? decodePath(match[4]!) : null
    if (!match || owner === null || name === null || rest === null) {
      counters.notFound++
      await json(404, notFoundBody(baseUrl))
      return
    }
    const route: RouteKind = match[3] === 'branches' ? 'branch' : 'archive'
    record.route = route
    record.repo = `${owner}/${name}`
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      await json(405, { message: 'Method Not Allowed', url: `${baseUrl}/api/swagger` })
      return
    }

    const injected = faults.take(route, record.repo)
    if (injected) {
      counters.faultsApplied++
      record.fault = injected.kind
    }
    switch (injected?.kind) {
      case 'refuse':
        req.socket.destroy()
        return
      case 'hang':
        return
      case 'delay':
        await sleep(injected.ms, undefined, { signal: stopping.signal }).catch(() => undefined)
        if (res.destroyed) return
        break
      case 'hold':
        await Promise.race([
          injected.until.catch(() => undefined),
          new Promise((resolve) => stopping.signal.addEventListener('abort', resolve)),
        ])
        if (stopping.signal.aborted) return
        break
      case 'status500':
        await json(500, {
          message: 'injected fault: internal server error',
          url: `${baseUrl}/api/swagger`,
        })
        return
      case 'status401':
        await json(401, tokenRejectedBody(baseUrl))
        return
      case 'status403':
        await json(403, {
          message:
            'token does not have at least one of required scope(s), required=[read:repository], token scope=read:user',
          url: `${baseUrl}/api/swagger`,
        })
        return
      case 'moved': {
        const [, , , , ...tail] = record.path.split('/')
        const rest = tail.slice(2).join('/')
        const [toOwner, toName] = injected.to.split('/').map((s) => encodeURIComponent(s!))
        const location = `/api/v1/repos/${toOwner}/${toName}/${rest}`
        // Go's http.Redirect: a short HTML body for GET.
        const body = `<a href="${location}">${injected.status === 301 ? 'Moved Permanently' : 'Temporary Redirect'}</a>.\n\n`
        res.writeHead(injected.status, {
          Location: location,
          'Content-Type': 'text/html; charset=utf-8',
          'Content-Length': String(Buffer.byteLength(body)),
        })
        res.end(req.method === 'HEAD' ? undefined : body)
        return
      }
      case 'status429':
        await json(
          429,
          { message: 'Too Many Requests' },
          { 'Retry-After': String(injected.retryAfterSeconds) },
        )
        return
    }

    const served = repos.get(record.repo.toLowerCase())
    const presented = presentedTokens(req.headers.authorization)
    const authorized = presented.some((token) => tokens.has(token))
    // apiAuth runs before any repository lookup: a token Gitea does not know (invalid, revoked,
    // expired) is 401 on every route, public repositories included.
    if (presented.length > 0 && !authorized) {
      await json(401, tokenRejectedBody(baseUrl))
      return
    }
    // Gitea hides a repository the caller may not read behind the same 404 as a missing one.
    if (!served || (served.private && !authorized)) {
      counters.notFound++
      await json(404, notFoundBody(baseUrl))
      return
    }
    const ctx: RouteContext = {
      archiveMode,
      prefixArchiveFiles,
      req,
      res,
      served,
      fault: injected,
      baseUrl,
      signal: stopping.signal,
      counters,
      onBytes,
    }
    if (route === 'branch') await serveBranch(ctx, rest)
    else await serveArchive(ctx, rest)
  }

  const server = createServer((req, res) => {
    counters.requests++
    const record: RequestRecord = {
      method: req.method ?? 'GET',
      path: (req.url ?? '/').split('?')[0]!,
      route: 'other',
      repo: null,
      at: Date.now(),
      status: 0,
      bytes: 0,
      fault: null,
      done: false,
    }
    requests.push(record)
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse
    res.writeHead = ((...args: unknown[]) => {
      record.status = args[0] as number
      return writeHead(...args)
    }) as ServerResponse['writeHead']
    res.once('close', () => {
      record.done = true
    })
    handle(req, res, record).catch((error: unknown) => {
      if (res.headersSent) res.destroy(error as Error)
      else
        sendJson(
          res,
          500,
          { message: String(error) },
          { signal: stopping.signal, onBytes: () => {} },
        )
    })
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve())
  })
  const address = server.address() as AddressInfo
  baseUrl = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`

  return {
    url: baseUrl,
    tokens,
    requests,
    counters,
    faults,
    addRepo(repo, addOptions = {}) {
      repo.baseUrl = baseUrl
      repos.set(repo.fullName.toLowerCase(), {
        repo,
        private: addOptions.private ?? privateByDefault,
      })
      return repo
    },
    removeRepo(fullName) {
      repos.delete(fullName.toLowerCase())
    },
    setArchiveMode(mode) {
      archiveMode = mode
    },
    setPrefixArchiveFiles(prefix) {
      prefixArchiveFiles = prefix
    },
    sendWebhook,
    hooks,
    statuses: (repo, sha) => repoApi.statusesOf(repo, sha),
    push: (repo, files, pushOptions) => hooks.push(repo, files, pushOptions),
    reset() {
      requests.length = 0
      Object.assign(counters, emptyCounters())
      faults.clear()
    },
    async stop() {
      stopping.abort()
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeAllConnections()
      await closed
    },
  }
}
