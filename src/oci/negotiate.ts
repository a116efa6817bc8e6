// What a manifest request by tag answers (Accept, RFC 9110 §12.5.1) and how the tags list pages
// (`n` and `last`, OCI Distribution Spec v1.1 "Listing Tags").
import { MEDIA_TYPES } from './image.js'

/** Whether an Accept header admits `type` (exact, `type/*` or `*\/*`, with a non-zero q). */
export function accepts(header: string | undefined, type: string): boolean {
  if (header === undefined) return true
  const [major] = type.split('/')
  for (const item of header.split(',')) {
    const [range, ...params] = item.split(';').map((s) => s.trim().toLowerCase())
    if (range !== type && range !== `${major}/*` && range !== '*/*') continue
    const q = params.find((p) => p.startsWith('q='))
    if (q === undefined || Number(q.slice(2)) > 0) return true
  }
  return false
}

/**
 * `index` when the client takes an image index (or sends no Accept); `manifest` — the first
 * configured platform's image manifest — when it takes an OCI image manifest and no index; `index`
 * again when it takes neither (RFC 9110 lets a server ignore Accept; the index is what the tag is).
 */
export function manifestChoice(accept: string | undefined): 'index' | 'manifest' {
  if (accepts(accept, MEDIA_TYPES.index)) return 'index'
  return accepts(accept, MEDIA_TYPES.manifest) ? 'manifest' : 'index'
}

/** Most tags one page holds, whatever `n` asks. */
export const MAX_PAGE = 1000

export type Page = { tags: string[]; next: { n: number; last: string } | null } | { error: string }

/**
 * One page of `tags` (sorted here, byte order): those after `last`, at most `n` of them; `next`
 * when more follow. `n` absent: every tag up to MAX_PAGE.
 */
export function tagsPage(
  tags: readonly string[],
  n: string | undefined,
  last: string | undefined,
): Page {
  let limit = MAX_PAGE
  if (n !== undefined) {
    if (!/^\d{1,9}$/.test(n))
      return { error: `n must be a non-negative integer, got ${JSON.stringify(n.slice(0, 32))}` }
    limit = Math.min(Number(n), MAX_PAGE)
  }
  const sorted = [...tags].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const after = last === undefined ? sorted : sorted.filter((t) => t > last)
  const page = after.slice(0, limit)
  const more = after.length > page.length && page.length > 0
  return { tags: page, next: more ? { n: limit, last: page[page.length - 1]! } : null }
}
