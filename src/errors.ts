// Every error code, in one place: the archive rejections, the service's own (below and at the
// HTTP edge), the provisioner client's, and the one table that maps a code to an HTTP status.
// Codes are stable: tools and admins match on them, never on messages.

/** Why an archive was rejected. A rejected version records one of these. */
export const REJECT_CODES = [
  // Transport and container
  'TOO_LARGE', // more than the compressed limit on the wire
  'UNPACKED_TOO_LARGE', // more than the unpacked limit after gunzip
  'TOO_MANY_ENTRIES',
  'FILE_TOO_LARGE', // one file over the per-file limit, declared or actual
  'TIMEOUT', // over the total time, or idle too long
  'TRUNCATED', // gzip or tar ended early
  'GZIP_CORRUPT',
  'TAR_CORRUPT', // bad checksum, bad header field, parsers disagree
  'TRAILING_DATA', // bytes after the tar end marker or after the gzip member
  // Headers
  'ENTRY_TYPE_FORBIDDEN', // hard link, device, FIFO, contiguous, sparse, unknown typeflag
  'ENTRY_SIZE_INVALID', // directory or symlink with a size
  'PAX_KEY_FORBIDDEN',
  'PAX_SIZE_INVALID', // not plain decimal, or disagrees with the ustar size
  'PAX_GLOBAL_KEY_FORBIDDEN',
  // Paths, every entry
  'PATH_ABSOLUTE',
  'PATH_TRAVERSAL', // a `..` segment
  'PATH_NOT_CANONICAL', // a `.` or empty segment
  'PATH_BAD_CHARACTER', // control, format (bidi, zero-width), separator, noncharacter, ignorable;
  // in a kept name also private-use or unassigned (src/bundle/names.ts)
  'PATH_INVALID_UTF8',
  'PATH_OUTSIDE_ROOT', // not under the single top-level directory
  'ARCHIVE_PREFIX_MISMATCH', // the archive's shape contradicts GITEA_ARCHIVE_PREFIX (Gitea's
  // [repository] PREFIX_ARCHIVE_FILES): a file at the root of a prefixed one, or a sole top-level
  // directory in an unprefixed one
  'PATH_TOO_LONG',
  'PATH_TOO_DEEP',
  'GIT_METADATA', // a `.git` segment in any case
  'DUPLICATE_PATH',
  // Paths, kept entries
  'LINK_IN_ALLOWED_PATH',
  'PATH_NOT_PORTABLE', // backslash, colon, trailing dot or space, Windows-reserved name
  'PATH_NOT_NFC',
  'CASE_COLLISION',
  'PATH_CONFLICT', // a file is a prefix directory of another
  'AGENT_OWNED_PATH',
  'RESERVED_PATH', // the provisioner client's own names: `.asset-cache*` at the top
  // Content
  'MISSING_REQUIRED_FILE',
  'CONFIG_NOT_MAPPING',
  'COMMIT_MISMATCH',
] as const
export type RejectCode = (typeof REJECT_CODES)[number]

/**
 * The operational codes an HTTP answer can carry, and the one code → status table: services throw
 * codes, only this table chooses statuses. A code absent here is 500, and the HTTP edge never
 * shows such an error's message.
 */
const STATUS = {
  // The request's shape, auth and routing
  BAD_REQUEST: 400,
  MALFORMED_JSON: 400,
  INVALID_PAYLOAD: 400,
  UNSUPPORTED_MEDIA_TYPE: 400,
  INVALID_DIGEST: 400,
  UNAUTHORIZED: 401,
  URL_EXPIRED: 403,
  URL_SIGNATURE_INVALID: 403,
  NOT_FOUND: 404,
  UNKNOWN_TEMPLATE: 404,
  ENOTFOUND: 404, // no such blob
  REQUEST_TIMEOUT: 408,
  PAYLOAD_TOO_LARGE: 413,
  HOST_NOT_ALLOWED: 421,
  TOO_MANY_ATTEMPTS: 429,
  // Admin actions the state refuses
  NOT_A_READY_VERSION: 409,
  BUNDLE_EVICTED: 409,
  NOT_REFRESHABLE: 409,
  TEMPLATE_TRACKED: 409,
  TEMPLATE_BUSY: 409,
  PINNED_BY_MANIFEST: 409,
  // The service's own faults
  BUNDLE_CORRUPT: 500,
  INTERNAL: 500, // an unexpected error (details in the log only)
  // Talking to Gitea: a job's error, or a 502 to an admin action that needed Gitea
  FETCH_OFF: 502, // no GITEA_BASE_URL / GITEA_TOKEN configured
  GITEA_UNAVAILABLE: 502, // network error, timeout, 5xx or 429 after the retries
  GITEA_ARCHIVE_TIMEOUT: 502, // Gitea did not start sending an archive within ARCHIVE_WAIT_MS (generating)
  GITEA_NOT_FOUND: 502, // 404: no such repo, ref or commit, or the token has no access (Gitea hides which)
  GITEA_TOKEN_REJECTED: 502, // 401: GITEA_TOKEN is invalid, revoked or expired (Gitea checks it first)
  GITEA_FORBIDDEN: 502, // 403: the token lacks read:repository, or is public-only on a private repo
  GITEA_REPO_MOVED: 502, // 301/307/308 to another repository's API path: renamed or transferred
  GITEA_REFUSED: 502, // any other 4xx, or a redirect that is neither a rename nor an archive: never retried
  GITEA_BAD_RESPONSE: 502, // a 200 whose body is not what the API documents
  // What is not there yet, or switched off
  NOT_READY: 503,
  WEBHOOK_DISABLED: 503,
  WEBHOOK_BUSY: 503, // too many webhook body bytes in flight: not read, the reconciler catches up
  ADMIN_DISABLED: 503,
  URLS_DISABLED: 503,
} as const satisfies Record<string, number>
type StatusCode = keyof typeof STATUS

/**
 * Operational codes without a row in the status table: a command's, a job's, a client check's, or
 * one its route answers itself (CSRF_REJECTED, a 403 page).
 */
const UNANSWERED_CODES = [
  'EINTEGRITY', // stored bytes do not hash to their digest
  'EBADSIZE', // stored bytes are not the expected size
  'CONFIG_INVALID',
  'DB_TOO_NEW', // the index was written by a newer version of the code
  'DATA_DIR_UNUSABLE', // ASSET_CACHE_DATA_DIR cannot be created, read or written
  'LISTEN_FAILED', // ASSET_CACHE_HOST/PORT (or the metrics listener's) cannot be listened on
  'INPUT_UNREADABLE', // a file named on the command line cannot be read
  'DB_OUTDATED', // the index needs `asset-cache migrate` before a read-only command can read it
  'UNTRACKED_TEMPLATE', // ingest into a name the manifest does not track, without --untracked
  'INVALID_ARGUMENT', // a command-line argument that cannot be used (named in the message)
  // The version history
  'BRANCH_DELETED', // a version-history entry: the tracked branch was deleted (a `delete` event)
  // Attestations (src/attest/verify.ts): why a bundle is refused by a client that trusts keys
  'ATTESTATION_MISSING', // the server has no attestation for the digest
  'ATTESTATION_MALFORMED', // an envelope or statement that does not parse as documented
  'ATTESTATION_UNTRUSTED', // no signature verifies with a trusted key (wrong key, altered bytes)
  'ATTESTATION_SUBJECT_MISMATCH', // signed by a trusted key, but about another digest
  'ATTESTATION_TEMPLATE_MISMATCH', // signed, about this digest, but for another template
  'TRUSTED_KEY_INVALID', // a --trust or ASSET_CACHE_TRUSTED_KEYS file that is no ed25519 public key
  'SIGNING_OFF', // attestation sign without ASSET_CACHE_SIGNING_KEY
  // Jobs
  'INTERRUPTED', // the process running the job died; the job ran again
  'STORE_WRITE_FAILED', // the data directory refused a write (full, read-only); retried
  // Publishing to ASSET_CACHE_OCI_PUBLISH (a version's publish error; retried later)
  'PUBLISH_UNREACHABLE', // network error, timeout, 5xx or 429 after the retries
  'PUBLISH_UNAUTHORIZED', // 401: no credentials, or credentials (or a token) the registry refused
  'PUBLISH_DENIED', // 403: the credentials may not push to the repository
  'PUBLISH_REFUSED', // any other 4xx (name or manifest refused, …)
  'PUBLISH_BAD_RESPONSE', // an answer outside the distribution spec (no Location, no token, …)
  // The admin UI's forms
  'CSRF_REJECTED',
] as const

/** Operational error codes (not about archive content). */
export type ErrorCode = (typeof UNANSWERED_CODES)[number] | StatusCode
export const ERROR_CODES: readonly ErrorCode[] = [
  ...UNANSWERED_CODES,
  ...(Object.keys(STATUS) as StatusCode[]),
]

/** Codes the provisioner client raises about the server or registry it talks to. */
export const CLIENT_ERROR_CODES = [
  'SERVER_UNREACHABLE', // connection refused, DNS failure, TLS failure
  'PULL_TIMEOUT', // no headers or no body bytes in time, or the whole pull past its deadline
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

/** The table's rows, for the docs test: every code a status is chosen for. */
export function statusTable(): [string, number][] {
  return Object.entries(STATUS) as [string, number][]
}

/** The HTTP status for a code (500 for one the table does not name). */
export function statusOf(code: string): number {
  return Object.hasOwn(STATUS, code) ? STATUS[code as StatusCode] : 500
}

/** Base class: a stable code, a human message and machine-readable context. */
export class AppError extends Error {
  readonly code: ErrorCode | RejectCode
  readonly context: Record<string, unknown>
  constructor(
    code: ErrorCode | RejectCode,
    message: string,
    context: Record<string, unknown> = {},
    options?: ErrorOptions,
  ) {
    super(message, options)
    this.name = new.target.name
    this.code = code
    this.context = context
  }
}

/** The stable code of any error: its own for an AppError, else INTERNAL. */
export const codeOf = (err: unknown): ErrorCode | RejectCode =>
  err instanceof AppError ? err.code : 'INTERNAL'

/** The archive is not acceptable. `entry` names the offending entry when there is one. */
export class RejectError extends AppError {
  declare readonly code: RejectCode
  readonly entry: string | undefined
  constructor(code: RejectCode, detail: string, entry?: string) {
    super(code, detail, entry === undefined ? {} : { entry })
    this.entry = entry
  }
}

/** Stored content does not match what the index promised (cacache's EINTEGRITY / EBADSIZE). */
export class IntegrityError extends AppError {
  declare readonly code: 'EINTEGRITY' | 'EBADSIZE'
  readonly expected: string | number
  readonly found: string | number
  constructor(code: 'EINTEGRITY' | 'EBADSIZE', expected: string | number, found: string | number) {
    super(code, `${code === 'EINTEGRITY' ? 'digest' : 'size'} mismatch`, { expected, found })
    this.expected = expected
    this.found = found
  }
}

export function isRejectError(err: unknown): err is RejectError {
  return err instanceof RejectError
}

/** A template name that is not (or no longer) in the manifest, or not in the caller's scope. */
export function unknownTemplate(name: string): AppError {
  return new AppError('UNKNOWN_TEMPLATE', `no template named ${JSON.stringify(name)}`)
}
