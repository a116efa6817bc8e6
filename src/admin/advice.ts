// What an operator does about a template's last error, by its code: one line, shown beside the
// code in `asset-cache ls`, the admin UI and API, and /readyz (docs/operations.md has the table).
// Static text only: never a message, an entry or anything else the error carried.
import { REJECT_CODES } from '../errors.js'

const REJECTED: ReadonlySet<string> = new Set(REJECT_CODES)

const ADVICE: Record<string, string> = {
  GITEA_TOKEN_REJECTED: 'Gitea rejected GITEA_TOKEN (invalid, revoked or expired): regenerate it',
  GITEA_FORBIDDEN:
    'the token lacks read:repository, or is public-only on a private repository: recreate it with read:repository',
  GITEA_NOT_FOUND:
    "check the manifest's repo and ref, and that the token's user can read the repository",
  GITEA_REPO_MOVED:
    'the repository was renamed or transferred: put its new owner/name in the manifest',
  GITEA_ARCHIVE_TIMEOUT:
    'Gitea took too long to generate the archive (or waits on a commit it no longer has): check its archive queue; the next reconcile retries',
  GITEA_UNAVAILABLE:
    'Gitea (or its archive storage) was unreachable or failing: the next reconcile retries',
  GITEA_BAD_RESPONSE:
    'something between the cache and Gitea answers in its place: check GITEA_BASE_URL',
  GITEA_REFUSED: 'Gitea refused the request: see the detail, and GITEA_BASE_URL',
  FETCH_OFF: 'set GITEA_BASE_URL and GITEA_TOKEN to fetch',
  BRANCH_DELETED:
    'the tracked branch was deleted in Gitea: the last good bundle keeps serving; push the branch again or change the manifest',
  ARCHIVE_PREFIX_MISMATCH: "set GITEA_ARCHIVE_PREFIX to Gitea's [repository] PREFIX_ARCHIVE_FILES",
  STORE_WRITE_FAILED:
    'the data directory refused a write (full or read-only): free space or fix it',
}

/** The advice for `code`; content rejections share one, any other code points at the log. */
export function adviceFor(code: string): string {
  return (
    ADVICE[code] ??
    (REJECTED.has(code)
      ? 'the commit was refused: fix the template repository (see the reason); the last good bundle keeps serving'
      : 'see the detail and the log')
  )
}
