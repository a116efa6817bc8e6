// Git object ids as Gitea sends them: 40 lowercase hex digits in a SHA-1 repository, 64 in a
// SHA-256 one (`git init --object-format=sha256`, Gitea ≥ 1.22). Every commit id the service reads
// (branch heads, webhook payloads, archive requests, `--commit`, OCI tags) is checked here, so
// both formats are accepted everywhere by construction.

/** A full commit id of either object format. */
export const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/

export const OBJECT_ID_MESSAGE = 'expected a 40 or 64 hex commit id'

export type ObjectFormat = 'sha1' | 'sha256'

export function isObjectId(value: unknown): value is string {
  return typeof value === 'string' && OBJECT_ID.test(value)
}

/** The object format a full id belongs to, by its length. */
export function objectFormatOf(id: string): ObjectFormat | null {
  if (!OBJECT_ID.test(id)) return null
  return id.length === 64 ? 'sha256' : 'sha1'
}

/**
 * Gitea's EmptyObjectID of the id's format: all zeros, 40 or 64 of them. A push whose `before` is
 * one created the branch; one whose `before` and `after` both are is a "Test Delivery".
 */
export function isZeroId(id: string): boolean {
  return OBJECT_ID.test(id) && /^0+$/.test(id)
}
