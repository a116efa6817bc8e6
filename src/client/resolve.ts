// `GET /v1/templates/{name}`: the template's current digest, or "unchanged" on 304.
import { isDigest } from '../digest.js'
import { ClientError } from './errors.js'
import { discard, endpoint, failOnStatus, get, type RequestOptions, readJson } from './http.js'

export interface ResolveOptions extends Omit<RequestOptions, 'headers'> {
  /** The digest the caller already has; sent as `If-None-Match: "<digest>"`. */
  etag?: string | undefined
}

/** The current version of a template, as the server describes it. */
export interface ResolvedTemplate {
  status: 'resolved'
  name: string
  repo: string
  ref: string
  commit: string
  digest: string
  size: number
  fileCount: number
  readyAt: string
  bundleUrl: string
}

export type ResolveResult = { status: 'unchanged'; digest: string } | ResolvedTemplate

const TEMPLATE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

/**
 * Asks `server` for the current bundle of `template`.
 *
 * @returns `{status: 'unchanged'}` when the server answers 304 to `etag`, else the template's
 *   current digest, commit and size.
 * @throws ClientError with `UNAUTHORIZED`, `TEMPLATE_NOT_FOUND`, `NOT_READY` (503, `retryAfter` in
 *   its context), `SERVER_ERROR`, `BAD_RESPONSE`, `RESPONSE_TOO_LARGE` (an answer over 1 MiB),
 *   `SERVER_UNREACHABLE` or `PULL_TIMEOUT`.
 */
export async function resolve(
  server: string,
  template: string,
  options: ResolveOptions = {},
): Promise<ResolveResult> {
  if (!TEMPLATE_NAME.test(template)) {
    throw new ClientError('INVALID_TARGET', `invalid template name ${JSON.stringify(template)}`)
  }
  const url = endpoint(server, `/v1/templates/${encodeURIComponent(template)}`)
  const headers: Record<string, string> = { accept: 'application/json' }
  if (options.etag !== undefined) headers['if-none-match'] = `"${options.etag}"`
  const res = await get(url, { ...options, headers })
  if (res.statusCode === 304 && options.etag !== undefined) {
    discard(res)
    return { status: 'unchanged', digest: options.etag }
  }
  await failOnStatus(res, url, 'TEMPLATE_NOT_FOUND')
  if (res.statusCode !== 200) {
    discard(res)
    throw new ClientError('BAD_RESPONSE', `${url.href} answered ${res.statusCode}`)
  }
  return parseTemplate(await readJson(res, url, options.signal), url)
}

function parseTemplate(body: unknown, url: URL): ResolvedTemplate {
  const b = (body ?? {}) as Record<string, unknown>
  const str = (key: string) => (typeof b[key] === 'string' ? (b[key] as string) : '')
  const int = (key: string) =>
    Number.isSafeInteger(b[key]) && (b[key] as number) >= 0 ? (b[key] as number) : -1
  if (!isDigest(b.digest) || int('size') < 0 || str('commit') === '') {
    throw new ClientError('BAD_RESPONSE', `${url.href}: no valid digest, size and commit`)
  }
  return {
    status: 'resolved',
    name: str('name'),
    repo: str('repo'),
    ref: str('ref'),
    commit: str('commit'),
    digest: b.digest,
    size: int('size'),
    fileCount: Math.max(0, int('fileCount')),
    readyAt: str('readyAt'),
    bundleUrl: str('bundleUrl'),
  }
}
