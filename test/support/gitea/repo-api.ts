// The fake Gitea's write API on a repository, as Gitea answers it:
//   POST /repos/{o}/{r}/statuses/{sha}  reqToken, write:repository scope, repo writer -> 201
//   GET  /repos/{o}/{r}/statuses/{sha}  the statuses of a commit, newest first
//   GET|POST /repos/{o}/{r}/hooks, GET|PATCH|DELETE /repos/{o}/{r}/hooks/{id}
//                                       reqToken, reqAdmin; read:repository to list, write to change
// (routers/api/v1/api.go, repo/status.go, repo/hook.go, utils/hook.go).
import type { IncomingMessage } from 'node:http'
import type { ServedRepo } from './context.js'
import { type HookBook, type StoredHook, toApiHook } from './hooks.js'
import { notFoundBody } from './respond.js'

/** What a token may do: its scope (read:repository or write:repository) and repository admin. */
export interface TokenAccess {
  scope: 'read' | 'write'
  /** Admin on every repository, or on these (owner/name, any case). */
  admin?: boolean | string[]
}

function isAdmin(access: TokenAccess | null, repo: string): boolean {
  const admin = access?.admin
  return Array.isArray(admin)
    ? admin.some((r) => r.toLowerCase() === repo.toLowerCase())
    : admin === true
}

export interface StoredStatus {
  id: number
  state: string
  target_url: string
  description: string
  context: string
  created_at: string
}

export const REPO_API = /^\/api\/v1\/repos\/([^/]+)\/([^/]+)\/(statuses|hooks)(?:\/([^/]+))?$/

const STATES = new Set(['pending', 'success', 'error', 'failure', 'warning'])
const SHA = /^[0-9a-f]{40}$|^[0-9a-f]{64}$/

export interface RepoApiRequest {
  req: IncomingMessage
  method: string
  /** statuses | hooks */
  resource: string
  /** sha or hook id */
  item: string | null
  query: URLSearchParams
  served: ServedRepo
  /** The presented token, when Gitea knows it. */
  access: TokenAccess | null
  baseUrl: string
}

export type JsonAnswer = { status: number; body: unknown; headers?: Record<string, string> }

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > 1 << 20) throw new Error('body too large')
    chunks.push(chunk as Buffer)
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    return undefined
  }
}

const swagger = (baseUrl: string) => `${baseUrl}/api/swagger`

/** Gitea's tokenRequiresScopes refusal. */
function scopeRefusal(baseUrl: string, required: string, held: string): JsonAnswer {
  return {
    status: 403,
    body: {
      message: `token does not have at least one of required scope(s), required=[${required}], token scope=${held}`,
      url: swagger(baseUrl),
    },
  }
}

export class RepoApi {
  readonly statuses = new Map<string, StoredStatus[]>()
  #nextStatus = 1
  constructor(readonly hooks: HookBook) {}

  /** The statuses stored for a commit of a repository, newest first. */
  statusesOf(repo: string, sha: string): StoredStatus[] {
    return [...(this.statuses.get(`${repo.toLowerCase()}@${sha}`) ?? [])].reverse()
  }

  async handle(r: RepoApiRequest): Promise<JsonAnswer> {
    const held = r.access ? `${r.access.scope}:repository` : ''
    const writing = r.method !== 'GET' && r.method !== 'HEAD'
    if (!r.access) {
      return { status: 401, body: { message: 'token is required', url: swagger(r.baseUrl) } }
    }
    if (writing && r.access.scope !== 'write')
      return scopeRefusal(r.baseUrl, 'write:repository', held)
    return r.resource === 'statuses' ? this.#statuses(r, writing) : this.#hooks(r)
  }

  async #statuses(r: RepoApiRequest, writing: boolean): Promise<JsonAnswer> {
    const key = `${r.served.repo.fullName.toLowerCase()}@${r.item}`
    if (!writing)
      return { status: 200, body: this.statusesOf(r.served.repo.fullName, r.item ?? '') }
    if (r.method !== 'POST') return { status: 405, body: { message: 'Method Not Allowed' } }
    const body = (await readJson(r.req)) as Record<string, unknown> | undefined
    if (!r.item || !SHA.test(r.item) || (await r.served.repo.resolve(r.item)) !== r.item) {
      return { status: 404, body: notFoundBody(r.baseUrl) }
    }
    if (!body || typeof body.state !== 'string' || !STATES.has(body.state)) {
      return { status: 422, body: { message: 'invalid state', url: swagger(r.baseUrl) } }
    }
    const status: StoredStatus = {
      id: this.#nextStatus++,
      state: body.state,
      target_url: typeof body.target_url === 'string' ? body.target_url : '',
      description: typeof body.description === 'string' ? body.description : '',
      context: typeof body.context === 'string' && body.context ? body.context : 'default',
      created_at: new Date().toISOString(),
    }
    this.statuses.set(key, [...(this.statuses.get(key) ?? []), status])
    return { status: 201, body: status }
  }

  async #hooks(r: RepoApiRequest): Promise<JsonAnswer> {
    if (!isAdmin(r.access, r.served.repo.fullName)) {
      return {
        status: 403,
        body: {
          message: 'user should be an owner or a collaborator with admin write of a repository',
          url: swagger(r.baseUrl),
        },
      }
    }
    const repoKey = r.served.repo.fullName.toLowerCase()
    if (r.item === null) {
      if (r.method === 'GET') {
        // GetListOptions: page from 1, limit DEFAULT_PAGING_NUM (30) capped at MAX_RESPONSE_ITEMS (50).
        const page = Math.max(1, Number(r.query.get('page')) || 1)
        const limit = Math.min(50, Math.max(1, Number(r.query.get('limit')) || 30))
        const all = this.hooks.list(repoKey)
        return {
          status: 200,
          body: all.slice((page - 1) * limit, page * limit).map(toApiHook),
          headers: { 'X-Total-Count': String(all.length) },
        }
      }
      if (r.method !== 'POST') return { status: 405, body: { message: 'Method Not Allowed' } }
      const form = (await readJson(r.req)) as Record<string, unknown> | undefined
      const config = (form?.config ?? {}) as Record<string, unknown>
      if (!form || !['gitea', 'forgejo', 'gogs', 'slack'].includes(String(form.type))) {
        return { status: 422, body: { message: `Invalid hook type: ${String(form?.type)}` } }
      }
      for (const name of ['url', 'content_type']) {
        if (typeof config[name] !== 'string') {
          return { status: 422, body: { message: `Missing config option: ${name}` } }
        }
      }
      if (config.content_type !== 'json' && config.content_type !== 'form') {
        return { status: 422, body: { message: 'Invalid content type' } }
      }
      const events =
        Array.isArray(form.events) && form.events.length ? form.events.map(String) : ['push']
      const hook = this.hooks.add({
        repoKey,
        type: String(form.type),
        url: String(config.url),
        contentType: config.content_type,
        secret: typeof config.secret === 'string' ? config.secret : '',
        events,
        branchFilter: typeof form.branch_filter === 'string' ? form.branch_filter : '',
        // api.CreateHookOption.Active is a plain bool: omitted means false.
        active: form.active === true,
      })
      return { status: 201, body: toApiHook(hook) }
    }
    const hook = this.hooks.get(repoKey, Number(r.item))
    if (!hook) return { status: 404, body: notFoundBody(r.baseUrl) }
    if (r.method === 'GET') return { status: 200, body: toApiHook(hook) }
    if (r.method === 'DELETE') {
      this.hooks.remove(repoKey, hook.id)
      return { status: 204, body: null }
    }
    if (r.method !== 'PATCH') return { status: 405, body: { message: 'Method Not Allowed' } }
    const form = ((await readJson(r.req)) ?? {}) as Record<string, unknown>
    editHook(hook, form)
    return { status: 200, body: toApiHook(hook) }
  }
}

/**
 * utils/hook.go editHook: config url, content_type and secret when present; events (empty means
 * push) and branch_filter always overwritten; active only when given.
 */
function editHook(hook: StoredHook, form: Record<string, unknown>): void {
  const config = form.config as Record<string, unknown> | undefined
  if (config && typeof config === 'object') {
    if (typeof config.url === 'string') hook.url = config.url
    if (config.content_type === 'json' || config.content_type === 'form') {
      hook.contentType = config.content_type
    }
    if (typeof config.secret === 'string') hook.secret = config.secret
  }
  hook.events =
    Array.isArray(form.events) && form.events.length ? form.events.map(String) : ['push']
  hook.branchFilter = typeof form.branch_filter === 'string' ? form.branch_filter : ''
  if (typeof form.active === 'boolean') hook.active = form.active
  hook.updatedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
}
