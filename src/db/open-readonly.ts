// The index opened to read only (`ls`, `templates sync --dry-run`): nothing is written to the
// data directory, not even SQLite's -wal and -shm files, so a read works on a read-only
// directory and never leaves files owned by whoever ran it for the service to trip on.
//
// WAL mode needs the -shm file to read. While a writer has the index open (a running server),
// -wal and -shm exist and a read-only connection shares them. With no writer, the last one to
// close checkpointed and deleted them: the main file then holds everything, and is read into
// memory instead (its header says WAL; SQLite reads an in-memory image only as a rollback
// journal database, so bytes 18–19 are set to 1 in the copy).
import { existsSync, readFileSync } from 'node:fs'
import Database from 'better-sqlite3'
import { AppError } from '../errors.js'
import { Index } from './index.js'
import { loadMigrations, migrate } from './migrate.js'
import type { Db } from './open.js'

function openImage(file: string): Db {
  for (let attempt = 0; attempt < 3; attempt++) {
    if (existsSync(`${file}-wal`))
      return new Database(file, { readonly: true, fileMustExist: true })
    const image = readFileSync(file)
    // A writer that opened the index while it was being read may have checkpointed under us.
    if (existsSync(`${file}-wal`)) continue
    if (image.length >= 20 && image[18] === 2 && image[19] === 2) {
      image[18] = 1
      image[19] = 1
    }
    return new Database(image, { readonly: true })
  }
  return new Database(file, { readonly: true, fileMustExist: true })
}

/**
 * Opens `file` read-only, or returns null when there is no index yet. Refuses an index whose
 * schema is older (DB_OUTDATED: `asset-cache migrate` upgrades it) or newer (DB_TOO_NEW) than
 * this code's.
 */
export function openIndexReadOnly(file: string): Index | null {
  if (!existsSync(file)) return null
  const db = openImage(file)
  try {
    db.pragma('busy_timeout = 5000')
    const latest = loadMigrations().at(-1)?.version ?? 0
    const hasTable = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
      .get()
    const found = hasTable
      ? ((
          db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as {
            v: number | null
          }
        ).v ?? 0)
      : 0
    if (found > latest) {
      throw new AppError(
        'DB_TOO_NEW',
        `the index ${file} is at schema version ${found} but this asset-cache knows only up to ${latest}; run a newer asset-cache`,
        { found, expected: latest },
      )
    }
    if (found < latest) {
      throw new AppError(
        'DB_OUTDATED',
        `the index ${file} is at schema version ${found}, this asset-cache reads version ${latest}: run \`asset-cache migrate\` (serve also migrates at start-up)`,
        { found, expected: latest },
      )
    }
    return new Index(db)
  } catch (err) {
    db.close()
    throw err
  }
}

/** An index with the current schema and no rows, in memory: what reading a missing index finds. */
export function emptyIndex(): Index {
  const db = new Database(':memory:')
  migrate(db)
  return new Index(db)
}
