// What a verdict on a commit looks like as a Gitea commit status: state, context, description,
// link. Gitea stores the description as TEXT and shows it on one line next to the commit; it is
// kept printable and at most DESCRIPTION_MAX characters so that no Gitea or Forgejo version or
// database column cuts it anywhere else.
import { printableName } from '../bundle/names.js'
import { printable } from '../cli/format.js'
import type { CommitState } from '../db/index.js'

/** Characters of a status description (UTF-16 units, never a split surrogate pair). */
export const DESCRIPTION_MAX = 255

/** What the cache decided about one commit of a template. */
export type Verdict =
  | { kind: 'started' }
  | { kind: 'ready'; digest: string }
  | { kind: 'rejected'; code: string; entry: string | null }
  /** The job ended in error: Gitea's side after the retries, or ours (the job runs again). */
  | { kind: 'failed'; code: string }

export interface CommitStatus {
  state: CommitState
  context: string
  description: string
}

/** `asset-cache/<template>`: one status line per template on a commit several templates share. */
export const statusContext = (template: string) => `asset-cache/${template}`

/**
 * The status of `verdict`. A rejection names its reason code first and the offending path after
 * it (escaped as the admin UI shows it), so a cut never hides the code.
 */
export function describeVerdict(template: string, verdict: Verdict): CommitStatus {
  const context = statusContext(template)
  switch (verdict.kind) {
    case 'started':
      return { state: 'pending', context, description: 'fetching and validating this commit' }
    case 'ready':
      return { state: 'success', context, description: cap(`ready: ${verdict.digest}`) }
    case 'rejected':
      return {
        state: 'failure',
        context,
        description: cap(
          `rejected: ${verdict.code}${verdict.entry === null ? '' : ` in ${printableName(verdict.entry)}`}`,
        ),
      }
    case 'failed':
      return {
        state: 'error',
        context,
        description: cap(
          isFetchCode(verdict.code)
            ? `fetch failed after retries: ${verdict.code}`
            : `the cache failed on this commit: ${verdict.code}`,
        ),
      }
  }
}

const cap = (text: string) => printable(text, DESCRIPTION_MAX)

/** A code of talking to Gitea: the origin's side, not ours (a full disk, a bug). */
const isFetchCode = (code: string) => code.startsWith('GITEA_') || code === 'FETCH_OFF'

/**
 * The admin UI page of a template, at the version's entry when there is one:
 * `<ASSET_CACHE_PUBLIC_URL>/admin/templates/<name>#version-<id>`.
 */
export function versionPageUrl(publicUrl: URL, template: string, versionId: number | null): string {
  const base = publicUrl.href.endsWith('/') ? publicUrl.href : `${publicUrl.href}/`
  const page = new URL(`admin/templates/${encodeURIComponent(template)}`, base)
  if (versionId !== null) page.hash = `version-${versionId}`
  return page.href
}
