// Archive downloads that Gitea answers with a redirect. With `[storage.repo-archive]` on object
// storage (MinIO, Azure) and SERVE_DIRECT=true, Gitea — every version from 1.21, and Forgejo —
// generates the archive, saves it there and answers the archive route with a redirect (303, the
// default of its ctx.Redirect) to a presigned URL valid for 5 minutes. That URL carries its own
// signature in its query string: the Gitea token must never go there (S3 refuses a request that
// carries both, and the token would leak to whoever runs the storage), nor any cookie. So the
// redirect is followed here by hand, each hop a fresh request with no credentials at all — never
// undici's redirect interceptor, which re-sends the request's headers.
import { type Dispatcher, request } from 'undici'
import type { GiteaErrorKind } from '../metrics.js'
import { GiteaError, networkError, networkErrorKind } from './errors.js'

/** Redirects followed on the archive route: Gitea's 303, and the 302/307 a proxy might use. */
export const ARCHIVE_REDIRECTS = new Set([302, 303, 307])

/** Redirects followed at most, Gitea's own included. */
export const MAX_ARCHIVE_HOPS = 3

/** Where a redirect points, resolved against the URL that answered; null unless http(s). */
export function redirectTarget(location: string | undefined, from: URL): URL | null {
  if (!location) return null
  try {
    const target = new URL(location, from)
    return target.protocol === 'http:' || target.protocol === 'https:' ? target : null
  } catch {
    return null
  }
}

/** The header's one value (undici gives an array for a repeated header: then it is ambiguous). */
export function locationOf(
  headers: Record<string, string | string[] | undefined>,
): string | undefined {
  const value = headers.location
  return typeof value === 'string' ? value : undefined
}

export interface FollowOptions {
  dispatcher: Dispatcher
  signal?: AbortSignal
  noteError: (kind: GiteaErrorKind) => void
}

/**
 * Follows `location` (a redirect Gitea answered from `from`) to the archive body. Each request
 * carries only `Accept`: no Authorization, no Cookie. Messages name the target's origin only: a
 * presigned URL's query string is a credential. The body comes back to the same reader as a
 * streamed answer (same byte, time and commit checks); the agent's timeouts apply to every hop.
 */
export async function followArchiveRedirect(
  location: string | undefined,
  from: URL,
  options: FollowOptions,
): Promise<Dispatcher.ResponseData['body']> {
  for (let hop = 1; ; hop++) {
    const target = redirectTarget(location, from)
    if (target === null) {
      options.noteError('bad_response')
      throw new GiteaError(
        'GITEA_REFUSED',
        'archive download: a redirect to something other than an http(s) URL',
      )
    }
    let res: Dispatcher.ResponseData
    try {
      res = await request(target, {
        method: 'GET',
        dispatcher: options.dispatcher,
        headers: { accept: '*/*' },
        ...(options.signal ? { signal: options.signal } : {}),
      })
    } catch (cause) {
      if (!options.signal?.aborted) options.noteError(networkErrorKind(cause))
      throw networkError(cause)
    }
    const status = res.statusCode
    if (status === 200) return res.body
    res.body.resume().on('error', () => {})
    if (ARCHIVE_REDIRECTS.has(status) || status === 301 || status === 308) {
      if (hop >= MAX_ARCHIVE_HOPS) {
        options.noteError('http_4xx')
        throw new GiteaError(
          'GITEA_REFUSED',
          `archive download: more than ${MAX_ARCHIVE_HOPS} redirects`,
          { status },
        )
      }
      location = locationOf(res.headers)
      from = target
      continue
    }
    // A presigned URL expires (5 minutes) and storage has its own outages: another attempt asks
    // Gitea for a fresh URL, within the same bounded retries.
    options.noteError(status === 429 ? 'http_429' : status >= 500 ? 'http_5xx' : 'http_4xx')
    throw new GiteaError(
      'GITEA_UNAVAILABLE',
      `archive download: the storage Gitea redirected to (${target.origin}) answered HTTP ${status}`,
      { status, retryable: true },
    )
  }
}
