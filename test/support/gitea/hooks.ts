// Repository webhooks as Gitea keeps them (models/webhook, routers/api/v1/utils/hook.go), and their
// deliveries: a push to a repository goes to every active hook that chose the event and whose
// branch filter matches, signed with that hook's secret (services/webhook/deliver.go).
import { type PushPayloadOptions, pushPayload } from './payloads.js'
import type { GitRepo, RepoFiles } from './repo.js'
import { sendWebhook, type WebhookDelivery } from './webhook.js'

export interface StoredHook {
  id: number
  /** lower-cased owner/name of the repository. */
  repoKey: string
  type: string
  url: string
  contentType: 'json' | 'form'
  /** Write-only: never in an API answer. */
  secret: string
  events: string[]
  branchFilter: string
  active: boolean
  createdAt: string
  updatedAt: string
}

/** Gitea's api.Hook for a stored hook (convert ToHook): the secret is never returned. */
export function toApiHook(hook: StoredHook): Record<string, unknown> {
  return {
    id: hook.id,
    type: hook.type,
    branch_filter: hook.branchFilter,
    config: { content_type: hook.contentType, http_method: 'post', url: hook.url },
    events: hook.events,
    authorization_header: '',
    active: hook.active,
    updated_at: hook.updatedAt,
    created_at: hook.createdAt,
  }
}

/**
 * gobwas/glob without separators, as Gitea's checkBranch compiles a branch filter: `*` and `?`
 * match any characters, `{a,b}` alternatives, `[...]` classes, `\` escapes the next character.
 * An empty filter or `*` matches every branch.
 */
export function branchFilterMatches(filter: string, branch: string): boolean {
  if (filter === '' || filter === '*') return true
  let source = ''
  let depth = 0
  for (let i = 0; i < filter.length; i++) {
    const c = filter[i]!
    if (c === '\\' && i + 1 < filter.length) source += escapeRe(filter[++i]!)
    else if (c === '*') source += '.*'
    else if (c === '?') source += '.'
    else if (c === '{') {
      source += '(?:'
      depth++
    } else if (c === '}' && depth > 0) {
      source += ')'
      depth--
    } else if (c === ',' && depth > 0) source += '|'
    else if (c === '[') {
      const end = filter.indexOf(']', i + 1)
      if (end === -1) source += '\\['
      else {
        const body = filter.slice(i + 1, end)
        source += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`
        i = end
      }
    } else source += escapeRe(c)
  }
  try {
    return new RegExp(`^${source}$`, 's').test(branch)
  } catch {
    return false
  }
}

const escapeRe = (c: string) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')

export class HookBook {
  readonly hooks: StoredHook[] = []
  /** Every delivery made, in order. */
  readonly deliveries: Array<{ hookId: number; event: string; delivery: WebhookDelivery | Error }> =
    []
  #nextId = 1
  #pending = new Set<Promise<unknown>>()

  /** Keeps a delivery made in the background (after a git push) until it is answered. */
  track(delivery: Promise<unknown>): void {
    const p = delivery.catch(() => undefined).finally(() => this.#pending.delete(p))
    this.#pending.add(p)
  }

  /** Resolves once every background delivery was answered. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending])
  }

  list(repoKey: string): StoredHook[] {
    return this.hooks.filter((h) => h.repoKey === repoKey)
  }

  get(repoKey: string, id: number): StoredHook | null {
    return this.hooks.find((h) => h.repoKey === repoKey && h.id === id) ?? null
  }

  add(hook: Omit<StoredHook, 'id' | 'createdAt' | 'updatedAt'>): StoredHook {
    const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
    const stored = { ...hook, id: this.#nextId++, createdAt: at, updatedAt: at }
    this.hooks.push(stored)
    return stored
  }

  remove(repoKey: string, id: number): boolean {
    const i = this.hooks.findIndex((h) => h.repoKey === repoKey && h.id === id)
    if (i === -1) return false
    this.hooks.splice(i, 1)
    return true
  }

  /**
   * Commits `files` on a branch of `repo` (a push of one commit) and delivers the push event to
   * the repository's hooks as Gitea would; resolves with the new commit id once every delivery
   * was answered.
   */
  async push(
    repo: GitRepo,
    files: RepoFiles,
    options: { branch?: string; message?: string; delete?: string[] } = {},
  ): Promise<string> {
    const branch = options.branch ?? repo.defaultBranch
    const before = (await repo.resolve(`refs/heads/${branch}`)) ?? repo.zeroId
    const after = await repo.commit(files, {
      branch,
      ...(options.message ? { message: options.message } : {}),
      ...(options.delete ? { delete: options.delete } : {}),
    })
    await this.deliverPush(repo, { ref: `refs/heads/${branch}`, before, after })
    return after
  }

  /** Delivers one push event (already in the repository) to the matching hooks. */
  async deliverPush(repo: GitRepo, options: PushPayloadOptions & { ref: string }): Promise<void> {
    const branch = options.ref.replace(/^refs\/heads\//, '')
    const targets = this.list(repo.fullName.toLowerCase()).filter(
      (h) => h.active && h.events.includes('push') && branchFilterMatches(h.branchFilter, branch),
    )
    if (targets.length === 0) return
    const payload = await pushPayload(repo, options)
    for (const hook of targets) {
      const delivery = await sendWebhook(hook.url, {
        event: 'push',
        payload,
        secret: hook.secret,
        contentType: hook.contentType,
      }).catch((err: Error) => err)
      this.deliveries.push({ hookId: hook.id, event: 'push', delivery })
    }
  }
}
