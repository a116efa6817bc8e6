// OCI error bodies (OCI Distribution Spec v1.1, "Error Codes"): `{"errors":[{code, message,
// detail}]}` with the spec's codes. Messages and details are ours and never carry a token.

export type OciErrorCode =
  | 'BLOB_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'UNSUPPORTED'
  | 'PAGINATION_NUMBER_INVALID'

/** An OCI answer other than success: status, spec code, and the headers it needs (challenges). */
export class OciError extends Error {
  readonly status: 400 | 401 | 403 | 404 | 405
  readonly code: OciErrorCode
  readonly detail: Record<string, string> | null
  readonly headers: Record<string, string>
  constructor(
    status: OciError['status'],
    code: OciErrorCode,
    message: string,
    detail: Record<string, string> | null = null,
    headers: Record<string, string> = {},
  ) {
    super(message)
    this.status = status
    this.code = code
    this.detail = detail
    this.headers = headers
  }

  body(): string {
    const error: Record<string, unknown> = { code: this.code, message: this.message }
    if (this.detail) error.detail = this.detail
    return JSON.stringify({ errors: [error] })
  }
}

/** Unknown, out of scope and removed answer alike, so that a token learns nothing about names. */
export const nameUnknown = (name: string) =>
  new OciError(404, 'NAME_UNKNOWN', 'repository name not known to registry', { name })

export const manifestUnknown = (name: string, reference: string) =>
  new OciError(404, 'MANIFEST_UNKNOWN', 'manifest unknown', { name, reference })

export const blobUnknown = (name: string, digest: string) =>
  new OciError(404, 'BLOB_UNKNOWN', 'blob unknown to registry', { name, digest })

export const digestInvalid = (digest: string) =>
  new OciError(400, 'DIGEST_INVALID', 'provided digest did not match the sha256:<64 hex> form', {
    digest: digest.slice(0, 200),
  })

export const nameInvalid = (name: string) =>
  new OciError(400, 'NAME_INVALID', 'invalid repository name', { name: name.slice(0, 300) })
