// Error codes the provisioner client raises about the server it talks to. Content problems reuse
// the service's own errors: IntegrityError (EINTEGRITY/EBADSIZE) and RejectError (entry rules,
// among them RESERVED_PATH for a bundle naming the client's own `.asset-cache*` files).

export const CLIENT_ERROR_CODES = [
  'SERVER_UNREACHABLE', // connection refused, DNS failure, TLS failure
  'TIMEOUT', // no headers or no body bytes in time, or the whole pull past its deadline
  'UNAUTHORIZED', // 401/403: missing or wrong token
  'TEMPLATE_NOT_FOUND', // 404 on /v1/templates/{name}
  'BUNDLE_NOT_FOUND', // 404 on /v1/bundles/{digest}
  'NOT_READY', // 503: the template has no ready version yet (retryAfter in context)
  'SERVER_ERROR', // any other non-2xx answer
  'BAD_RESPONSE', // a 2xx whose headers or body are not what the API documents
  'RESPONSE_TOO_LARGE', // a JSON answer past its bound (1 MiB); the rest is never read
  'INVALID_TARGET', // neither a template name nor a `sha256:` digest
  'INVALID_OPTION', // an option out of its range (a timeout that is not a positive integer)
  'INVALID_SERVER_URL', // a server URL that does not parse or is not http(s)
  'UNSAFE_DESTINATION', // a file would be written through a symlink or over a directory in DIR
] as const
export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[number]

/** A failure of the client: a stable code, a one-line message and machine-readable context. */
export class ClientError extends Error {
  readonly code: ClientErrorCode
  readonly context: Record<string, unknown>
  constructor(
    code: ClientErrorCode,
    message: string,
    context: Record<string, unknown> = {},
    options?: ErrorOptions,
  ) {
    super(message, options)
    this.name = 'ClientError'
    this.code = code
    this.context = context
  }
}
