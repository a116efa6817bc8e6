// What a Gitea API answer other than 200 means, as a GiteaError an operator can act on. The
// codes follow Gitea's own middleware order for /api/v1/repos/{owner}/{repo}/…: token check
// (401), token scope and public-only check (403), repository lookup (404 or a rename redirect).
import type { IncomingHttpHeaders } from 'node:http'
import { GiteaError } from './errors.js'
import { retryAfterMs } from './retry.js'

export type GiteaRoute = 'branch' | 'archive'

const WHAT: Record<GiteaRoute, string> = {
  branch: 'branch lookup',
  archive: 'archive download',
}

/**
 * The `owner/name` a redirect's Location points at, when it is an API route of a repository on
 * Gitea's own origin: what Gitea answers for a renamed or transferred repository
 * (`RedirectToRepo`: the old `{owner}/{name}` replaced in the request path, sent host-relative,
 * after the server's sub-path). Null for any other target.
 */
export function movedTo(location: string | undefined, base: URL): string | null {
  if (!location) return null
  let target: URL
  try {
    target = new URL(location, base)
  } catch {
    return null
  }
  if (target.origin !== base.origin) return null
  const prefix = `${base.pathname.replace(/\/$/, '')}/api/v1/repos/`
  if (!target.pathname.startsWith(prefix)) return null
  const [owner, name] = target.pathname.slice(prefix.length).split('/')
  // Gitea's owner and repository names are alphanumerics, `-`, `_` and `.`: anything else is not
  // a rename we recognise (and never reaches a message).
  if (!owner || !name || !NAME.test(owner) || !NAME.test(name)) return null
  return `${owner}/${name}`
}

const NAME = /^[A-Za-z0-9_.-]{1,100}$/

/** Statuses Gitea answers a renamed repository with: 307 before 1.23.7 (and Forgejo 9–11), 301 since; 308 for good measure. */
export const MOVED_STATUSES = new Set([301, 307, 308])

/** The error for a non-200 answer (its body already discarded). */
export function statusError(
  route: GiteaRoute,
  status: number,
  headers: IncomingHttpHeaders,
  base: URL,
  now: number,
): GiteaError {
  const what = WHAT[route]
  const location = headers.location
  const moved = MOVED_STATUSES.has(status)
    ? movedTo(Array.isArray(location) ? location[0] : location, base)
    : null
  if (moved !== null) {
    return new GiteaError(
      'GITEA_REPO_MOVED',
      `${what}: ${status}: repository moved to ${moved} — update the manifest`,
      { status },
    )
  }
  switch (status) {
    case 401:
      return new GiteaError(
        'GITEA_TOKEN_REJECTED',
        `${what}: 401: token rejected — regenerate GITEA_TOKEN`,
        { status },
      )
    case 403:
      return new GiteaError(
        'GITEA_FORBIDDEN',
        `${what}: 403: the token lacks read:repository, or is public-only on a private repository`,
        { status },
      )
    case 404:
      return new GiteaError(
        'GITEA_NOT_FOUND',
        `${what}: 404 (no such repository, ref or commit, or no access)`,
        { status },
      )
  }
  if (status === 429 || status >= 500) {
    return new GiteaError('GITEA_UNAVAILABLE', `${what}: HTTP ${status}`, {
      status,
      retryable: true,
      retryAfterMs: retryAfterMs(headers['retry-after'], now),
    })
  }
  return new GiteaError('GITEA_REFUSED', `${what}: HTTP ${status}`, { status })
}
