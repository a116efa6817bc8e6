// What `hooks sync` wants on each tracked repository, and what it must do to get there. A hook
// is ours when its URL is on our host (ASSET_CACHE_PUBLIC_URL's) and its path ends in
// /hooks/gitea: other hooks, another replica's included, are never touched.
import type { ApiHook, HookBody } from './hooks-api.js'

/** The route webhooks are delivered to. */
export const HOOK_PATH = '/hooks/gitea'

/** Event names the receiver acts on: a push moves a branch (create and delete are ignored). */
export const HOOK_EVENTS = ['push']

/** `<ASSET_CACHE_PUBLIC_URL>/hooks/gitea`, a path prefix of the public URL kept. */
export function hookUrl(publicUrl: URL): string {
  return new URL(`${publicUrl.pathname.replace(/\/$/, '')}${HOOK_PATH}`, publicUrl).href
}

/**
 * Gitea matches a branch filter as a gobwas/glob pattern (services/webhook checkBranch): one ref
 * is the ref with its glob characters escaped; several are `{a,b}`.
 */
export function branchFilter(refs: readonly string[]): string {
  const escaped = [...new Set(refs)].sort().map((ref) => ref.replace(/[\\*?[\]{},!]/g, '\\$&'))
  return escaped.length === 1 ? escaped[0]! : `{${escaped.join(',')}}`
}

export function desiredHook(publicUrl: URL, secret: string, refs: readonly string[]): HookBody {
  return {
    type: 'gitea',
    config: { url: hookUrl(publicUrl), content_type: 'json', secret },
    events: [...HOOK_EVENTS],
    branch_filter: branchFilter(refs),
    active: true,
  }
}

/** A hook Gitea delivers to our receiver on our host. */
export function isOurs(hook: ApiHook, publicUrl: URL): boolean {
  let url: URL
  try {
    url = new URL(hook.config.url ?? '')
  } catch {
    return false
  }
  return (
    url.hostname.toLowerCase() === publicUrl.hostname.toLowerCase() &&
    url.pathname.replace(/\/+$/, '').endsWith(HOOK_PATH)
  )
}

export type HookPlan =
  | { action: 'create'; body: HookBody }
  | { action: 'unchanged'; id: number }
  | { action: 'update'; id: number; body: HookBody; changes: string[]; oldUrl: string | null }

/** The fields of `hook` that differ from `want` (the secret cannot be read back: never compared). */
function differences(hook: ApiHook, want: HookBody): string[] {
  const changes: string[] = []
  if (hook.config.url !== want.config.url) changes.push('url')
  if (hook.config.content_type !== want.config.content_type) changes.push('content_type')
  const events = [...new Set(hook.events)].sort().join(',')
  if (events !== [...want.events].sort().join(',')) changes.push('events')
  if (hook.branch_filter !== want.branch_filter) changes.push('branch_filter')
  if (hook.active !== want.active) changes.push('active')
  return changes
}

/**
 * Creates our hook when the repository has none; otherwise brings the first one of ours in line
 * (an edit also sends the secret). `resetSecret` edits it even when nothing else differs, for a
 * rotated ASSET_CACHE_WEBHOOK_SECRET. Further hooks of ours are listed as duplicates.
 */
export function planRepo(
  hooks: readonly ApiHook[],
  want: HookBody,
  publicUrl: URL,
  resetSecret = false,
): { plan: HookPlan; duplicates: number[] } {
  const ours = hooks.filter(
    (h) => isOurs(h, publicUrl) && (h.type === 'gitea' || h.type === 'forgejo'),
  )
  if (ours.length === 0) return { plan: { action: 'create', body: want }, duplicates: [] }
  // Prefer a hook already at the exact URL, then the oldest.
  const keep = ours.find((h) => h.config.url === want.config.url) ?? ours[0]!
  const duplicates = ours.filter((h) => h !== keep).map((h) => h.id)
  const changes = differences(keep, want)
  if (resetSecret) changes.push('secret')
  if (changes.length === 0) return { plan: { action: 'unchanged', id: keep.id }, duplicates }
  const { type: _type, ...body } = want
  return {
    plan: {
      action: 'update',
      id: keep.id,
      body,
      changes,
      oldUrl: changes.includes('url') ? (keep.config.url ?? null) : null,
    },
    duplicates,
  }
}
