// The HTTP edge's side of errors: the one JSON error shape `{"error":{"code","message","requestId"}}`
// of docs/contract.md#errors, and ApiError, a coded error raised by a handler (with answer headers
// such as WWW-Authenticate or Retry-After). Statuses come from the one table in errors.ts.
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { AppError, type ErrorCode, type RejectCode, statusOf } from '../errors.js'

/** An error a handler raises on purpose; its message is safe to show, whatever its status. */
export class ApiError extends AppError {
  readonly headers: Record<string, string>
  constructor(code: ErrorCode | RejectCode, message: string, headers: Record<string, string> = {}) {
    super(code, message)
    this.headers = headers
  }
  get status(): ContentfulStatusCode {
    return httpStatus(this.code)
  }
}

/** The status of a code, typed for Hono. */
export function httpStatus(code: string): ContentfulStatusCode {
  return statusOf(code) as ContentfulStatusCode
}

/**
 * A coded error whose message may be shown to the caller: an ApiError, or a service's AppError
 * whose status is below 500 (a 5xx never shows an internal message).
 */
export function shownError(err: unknown): AppError | null {
  if (err instanceof ApiError) return err
  return err instanceof AppError && statusOf(err.code) < 500 ? err : null
}

export function errorBody(code: string, message: string, requestId: string) {
  return { error: { code, message, requestId } }
}
