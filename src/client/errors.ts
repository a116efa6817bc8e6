// The provisioner client's error (its codes are listed with every other code in errors.ts). Content problems reuse
// the service's own errors: IntegrityError (EINTEGRITY/EBADSIZE) and RejectError (entry rules,
// among them RESERVED_PATH for a bundle naming the client's own `.asset-cache*` files).

export { CLIENT_ERROR_CODES, type ClientErrorCode } from '../errors.js'

import type { ClientErrorCode } from '../errors.js'

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
