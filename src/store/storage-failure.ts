// Local storage failures worth naming: a full, read-only or failing data directory. The refresh job
// retries them as the service's own fault, never as the origin's or the content's.

const STORAGE_ERRNOS = new Set(['ENOSPC', 'EROFS', 'EDQUOT', 'EIO'])

/** The errno of a local filesystem failure (spool, blob write), or null. */
export function storageFailure(err: unknown): string | null {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code
    if (typeof code === 'string' && STORAGE_ERRNOS.has(code)) return code
  }
  return null
}
