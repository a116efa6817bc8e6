// Opens the SQLite index with the pragmas the service relies on.
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'

export type Db = Database.Database

/**
 * WAL (readers never block the writer), FKs on, NORMAL sync: a commit survives a process crash;
 * an OS crash or power loss may undo the last ones, which the reconciler or a retry redoes. The
 * one write that cannot be redone, a webhook acknowledgement, waits for an fsync of the WAL
 * (group-commit.ts), on the thread pool rather than the event loop.
 */
export function openDb(file: string, options: { readonly?: boolean } = {}): Db {
  if (file !== ':memory:' && !options.readonly) mkdirSync(dirname(file), { recursive: true })
  const db = new Database(file, { readonly: options.readonly ?? false })
  db.pragma('busy_timeout = 5000')
  if (!options.readonly) db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('foreign_keys = ON')
  return db
}
