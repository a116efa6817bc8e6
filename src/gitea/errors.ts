// A failed Gitea call: a stable code, whether another attempt may succeed, and how long Gitea asked to wait.
import { AppError } from '../errors.js'

export type GiteaErrorCode =
  | 'GITEA_NOT_FOUND'
  | 'GITEA_TOKEN_REJECTED'
  | 'GITEA_FORBIDDEN'
  | 'GITEA_REPO_MOVED'
  | 'GITEA_REFUSED'
  | 'GITEA_UNAVAILABLE'
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
