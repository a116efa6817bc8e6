// Failures to use ASSET_CACHE_DATA_DIR, turned into one sentence that names the setting and the
// path (DATA_DIR_UNUSABLE) instead of a stack trace: the operator's fix is there, not in the code.
import { AppError } from './errors.js'

const REASONS: Record<string, string> = {
  ENOTDIR: 'not a directory (it, or a directory above it, is a file)',
  EEXIST: 'not a directory (a file is in the way)',
  EACCES: 'permission denied: the user running asset-cache must be able to write it',
  EPERM: 'operation not permitted: the user running asset-cache must be able to write it',
  EROFS: 'the filesystem is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the path is too long',
  SQLITE_CANTOPEN: 'cannot open index.db there',
  SQLITE_READONLY: 'index.db is read-only',
  SQLITE_READONLY_DIRECTORY: 'the directory is read-only',
  SQLITE_READONLY_DBMOVED: 'index.db was moved or replaced while open',
  SQLITE_NOTADB: 'index.db is not a SQLite database',
  SQLITE_PERM: 'permission denied on index.db',
  SQLITE_FULL: 'no space left on the device',
}

/** The reason for an errno or SQLite code, if it is one the data directory can cause. */
function reasonOf(code: string): string | null {
  if (code in REASONS) return REASONS[code]!
  if (code.startsWith('SQLITE_READONLY')) return REASONS.SQLITE_READONLY!
  if (code.startsWith('SQLITE_CANTOPEN')) return REASONS.SQLITE_CANTOPEN!
  if (code.startsWith('SQLITE_IOERR')) return `an I/O error (${code})`
  return null
}

/**
 * DATA_DIR_UNUSABLE for an error the data directory caused (a file in the way, permissions, a
 * read-only or full filesystem, an index that is not SQLite); any other error unchanged.
 */
export function dataDirError(dir: string, err: unknown): unknown {
  if (err instanceof AppError) return err
  const code = (err as { code?: unknown }).code
  const reason = typeof code === 'string' ? reasonOf(code) : null
  if (reason === null) return err
  const path = (err as { path?: unknown }).path
  const where = typeof path === 'string' && path !== dir ? ` (${path})` : ''
  return new AppError(
    'DATA_DIR_UNUSABLE',
    `ASSET_CACHE_DATA_DIR: cannot use ${dir}: ${reason}${where}`,
    { dir, cause: code },
  )
}
