// Opens the SQLite index with the pragmas the service relies on.
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'

export type Db = Database.Database

/**
 * WAL (readers never block the writer), FKs on, and FULL sync: every COMMIT is on disk before it
 * returns. A webhook answered 202 is never retried by Gitea, so its delivery row and job must
 * survive a power loss, not only a process crash (NORMAL with WAL can lose the last commits to
 * an OS crash). Deliveries are group-committed, so a burst pays one fsync.
 */
export function openDb(file: string, options: { readonly?: boolean } = {}): Db {
  if (file !== ':memory:' && !options.readonly) mkdirSync(dirname(file), { recursive: true })
  const db = new Database(file, { readonly: options.readonly ?? false })
  db.pragma('busy_timeout = 5000')
  if (!options.readonly) db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.pragma('foreign_keys = ON')
  return db
}
