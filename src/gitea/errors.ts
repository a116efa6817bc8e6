// A failed Gitea call: a stable code, whether another attempt may succeed, and how long Gitea asked to wait.
import { errors as undiciErrors } from 'undici'
import { AppError } from '../errors.js'

export type GiteaErrorCode =
  | 'GITEA_NOT_FOUND'
  | 'GITEA_TOKEN_REJECTED'
  | 'GITEA_FORBIDDEN'
  | 'GITEA_REPO_MOVED'
  | 'GITEA_REFUSED'
  | 'GITEA_UNAVAILABLE'
  | 'GITEA_ARCHIVE_TIMEOUT'
  | 'GITEA_BAD_RESPONSE'

/** A failed Gitea call. `retryable` is true for network errors, timeouts, 5xx and 429. */
export class GiteaError extends AppError {
  declare readonly code: GiteaErrorCode
  readonly status: number | undefined
  readonly retryable: boolean
  readonly retryAfterMs: number | null
  constructor(
    code: GiteaErrorCode,
    message: string,
    opts: {
      status?: number
      retryable?: boolean
      retryAfterMs?: number | null
      cause?: unknown
    } = {},
  ) {
    super(code, message, opts.status === undefined ? {} : { status: opts.status }, {
      cause: opts.cause,
    })
    this.status = opts.status
    this.retryable = opts.retryable ?? false
    this.retryAfterMs = opts.retryAfterMs ?? null
  }
}

const TIMEOUTS = [
  undiciErrors.ConnectTimeoutError,
  undiciErrors.HeadersTimeoutError,
  undiciErrors.BodyTimeoutError,
]

/** `timeout` for undici's connect, headers and body-idle timeouts, `network` for the rest. */
export function networkErrorKind(cause: unknown): 'timeout' | 'network' {
  const root = cause instanceof GiteaError && cause.cause !== undefined ? cause.cause : cause
  return TIMEOUTS.some((type) => root instanceof type) ? 'timeout' : 'network'
}

/** Classifies an undici or socket error as a retryable GITEA_UNAVAILABLE, naming its kind only. */
export function networkError(cause: unknown): GiteaError {
  if (cause instanceof GiteaError) return cause
  const kind =
    cause instanceof undiciErrors.ConnectTimeoutError
      ? 'connect timeout'
      : cause instanceof undiciErrors.HeadersTimeoutError
        ? 'headers timeout'
        : cause instanceof undiciErrors.BodyTimeoutError
          ? 'body idle timeout'
          : ((cause as NodeJS.ErrnoException)?.code ?? (cause as Error)?.name ?? 'network error')
  return new GiteaError('GITEA_UNAVAILABLE', `Gitea unreachable: ${kind}`, {
    retryable: true,
    cause,
  })
}

/**
 * GITEA_ARCHIVE_TIMEOUT for an archive request whose headers did not come within `waitMs`: Gitea
 * was still generating the archive (its queue holds the request, polling about once a second with
 * no timeout of its own), or — Gitea ≤ 1.24 and Forgejo — it was asked for a commit it does not
 * have, which it never answers. Retryable; null for any other failure.
 */
export function archiveWaitError(cause: unknown, waitMs: number): GiteaError | null {
  if (!(cause instanceof undiciErrors.HeadersTimeoutError)) return null
  return new GiteaError(
    'GITEA_ARCHIVE_TIMEOUT',
    `archive download: Gitea did not start sending the archive within ${Math.round(waitMs / 1000)} s ` +
      '(still generating it, or waiting on a commit it does not have)',
    { retryable: true, cause },
  )
}

/** `: <message>` from a Gitea error body (`{"message": …}`), short and on one line, or nothing. */
export function giteaMessage(text: string): string {
  try {
    const message = (JSON.parse(text) as { message?: unknown }).message
    if (typeof message !== 'string' || !message) return ''
    return `: ${message.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+/gu, ' ').slice(0, 200)}`
  } catch {
    return ''
  }
}
