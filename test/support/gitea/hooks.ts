// Repository webhooks as Gitea keeps them, reduced to what decides whether a delivery is sent:
// the events a hook subscribes to and its branch filter (services/webhook PrepareWebhook: a push,
// create or delete of a branch is sent only when the filter matches the branch name; an empty
// filter or `*` matches every branch). The filter is a glob like Gitea's (gobwas/glob with no
// separators): `*` matches any run of characters, `/` included, `?` one, `{a,b}` either.
import type { PushPayload } from './payloads.js'
import type { GitRepo } from './repo.js'
import { sendWebhook, type WebhookDelivery } from './webhook.js'

export interface HookOptions {
  url: string
  secret?: string
  /** Default `['push']`. */
  events?: string[]
  /** Gitea's branch_filter; default: every branch. */
  branchFilter?: string
  contentType?: 'json' | 'form'
}

export interface FakeHook extends Required<Omit<HookOptions, 'secret'>> {
  readonly id: number
  readonly repo: string
  readonly secret: string
}

function globToRegExp(glob: string): RegExp {
  let out = ''
  let depth = 0
  for (const ch of glob) {
    if (ch === '*') out += '.*'
    else if (ch === '?') out += '.'
    else if (ch === '{') {
      depth++
      out += '(?:'
    } else if (ch === '}' && depth > 0) {
      depth--
      out += ')'
    } else if (ch === ',' && depth > 0) out += '|'
    else out += ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&')
  }
  return new RegExp(`^${out}$`)
}

/** Whether Gitea sends a delivery for `branch` to a hook with this filter. */
export function branchFilterMatches(filter: string, branch: string): boolean {
  if (filter === '' || filter === '*') return true
  return globToRegExp(filter).test(branch)
}

/** The branch an event is about, or null when it is not about a branch (tags, other events). */
function branchOf(event: string, payload: unknown): string | null {
  const p = payload as { ref?: string; ref_type?: string }
  if (event === 'push' && p.ref?.startsWith('refs/heads/')) return p.ref.slice('refs/heads/'.length)
  if ((event === 'create' || event === 'delete') && p.ref_type === 'branch') return p.ref ?? null
  return null
}

export class HookBook {
  #hooks: FakeHook[] = []
  #nextId = 1

  add(repo: GitRepo, options: HookOptions): FakeHook {
    const hook: FakeHook = {
      id: this.#nextId++,
      repo: repo.fullName.toLowerCase(),
      url: options.url,
      secret: options.secret ?? '',
      events: options.events ?? ['push'],
      branchFilter: options.branchFilter ?? '',
      contentType: options.contentType ?? 'json',
    }
    this.#hooks.push(hook)
    return hook
  }

  /** The hooks of `repo` that Gitea would deliver this event to. */
  targets(repo: GitRepo, event: string, payload: unknown): FakeHook[] {
    const branch = branchOf(event, payload)
    return this.#hooks.filter(
      (hook) =>
        hook.repo === repo.fullName.toLowerCase() &&
        hook.events.includes(event) &&
        (branch === null || branchFilterMatches(hook.branchFilter, branch)),
    )
  }

  /** Sends `payload` to every hook that takes it; none for a branch its filter leaves out. */
  async deliver(repo: GitRepo, event: string, payload: unknown): Promise<WebhookDelivery[]> {
    const deliveries: WebhookDelivery[] = []
    for (const hook of this.targets(repo, event, payload)) {
      deliveries.push(
        await sendWebhook(hook.url, {
          secret: hook.secret,
          event,
          payload,
          contentType: hook.contentType,
        }),
      )
    }
    return deliveries
  }

  /**
   * The "Test Delivery" button of one hook: the push payload (testDeliveryPayload) on the default
   * branch, sent only when the hook's branch filter admits that branch; null when it does not.
   */
  async testDelivery(hook: FakeHook, payload: PushPayload): Promise<WebhookDelivery | null> {
    const branch = payload.ref.slice('refs/heads/'.length)
    if (!branchFilterMatches(hook.branchFilter, branch)) return null
    return sendWebhook(hook.url, {
      secret: hook.secret,
      event: 'push',
      payload,
      contentType: hook.contentType,
    })
  }
}
