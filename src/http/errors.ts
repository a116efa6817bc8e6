// HTTP error mapping: our codes → status in one switch, and the one JSON error shape
// `{"error":{"code","message","requestId"}}` of docs/contract.md#errors.
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { ErrorCode, RejectCode } from '../errors.js'

/** Codes that exist only at the HTTP edge (request shape, auth, routing). */
export type HttpErrorCode =
  | 'BAD_REQUEST'
  | 'MALFORMED_JSON'
  | 'INVALID_PAYLOAD'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'PAYLOAD_TOO_LARGE'
  | 'REQUEST_TIMEOUT'
  | 'HOST_NOT_ALLOWED'
  | 'WEBHOOK_DISABLED'
  | 'NOT_READY'
  | 'CONFLICT'
  | 'RANGE_NOT_SATISFIABLE'
  | 'BUNDLE_CORRUPT'
  | 'ADMIN_DISABLED'
  | 'CSRF_REJECTED'
  | 'NOT_A_READY_VERSION'
  | 'BUNDLE_EVICTED'
  | 'NOT_REFRESHABLE'
  | 'TEMPLATE_TRACKED'
  | 'TEMPLATE_BUSY'
  | 'TOO_MANY_ATTEMPTS'
  | 'INTERNAL'
  | 'CLIENT_CLOSED'
  | 'URL_EXPIRED'
  | 'URL_SIGNATURE_INVALID'
  | 'URLS_DISABLED'

/** An error a handler raises on purpose; its message is safe to show. */
export class ApiError extends Error {
  readonly status: ContentfulStatusCode
  readonly code: HttpErrorCode | ErrorCode | RejectCode
  readonly headers: Record<string, string>
  constructor(
    status: ContentfulStatusCode,
    code: HttpErrorCode | ErrorCode | RejectCode,
    message: string,
    headers: Record<string, string> = {},
  ) {
    super(message)
    this.status = status
    this.code = code
    this.headers = headers
  }
}

/** 404 for a template name that is not (or no longer) in the manifest, or not in scope. */
export function unknownTemplate(name: string): ApiError {
  return new ApiError(404, 'UNKNOWN_TEMPLATE', `no template named ${JSON.stringify(name)}`)
}

/** Status for an AppError code that reached the HTTP layer. */
export function statusOf(code: string): ContentfulStatusCode {
  switch (code) {
    case 'INVALID_DIGEST':
      return 400
    case 'UNKNOWN_TEMPLATE':
    case 'ENOTFOUND':
      return 404
    case 'FETCH_OFF':
    case 'GITEA_UNAVAILABLE':
    case 'GITEA_ARCHIVE_TIMEOUT':
    case 'GITEA_NOT_FOUND':
    case 'GITEA_TOKEN_REJECTED':
    case 'GITEA_FORBIDDEN':
    case 'GITEA_REPO_MOVED':
    case 'GITEA_REFUSED':
    case 'GITEA_BAD_RESPONSE':
      return 502
    default:
      return 500
  }
}

export function errorBody(code: string, message: string, requestId: string) {
  return { error: { code, message, requestId } }
}
