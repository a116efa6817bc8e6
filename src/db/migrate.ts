// Schema migrations: migrations/NNNN_name.sql applied in order, each in a transaction, recorded.
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { AppError } from '../errors.js'
import type { Db } from './open.js'

/** migrations/ at the package root, both from src/db and from dist/db. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url))

export interface Migration {
  version: number
  name: string
  sql: string
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({
      version: Number(f.slice(0, 4)),
      name: f.slice(5, -4),
      sql: readFileSync(`${dir}/${f}`, 'utf8'),
    }))
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration numbering gap at ${m.version}_${m.name}`)
  })
  return migrations
}

export interface MigrateResult {
  from: number
  to: number
  applied: string[]
}

/** Applies pending migrations. Refuses (DB_TOO_NEW) a database written by newer code. */
export function migrate(db: Db, migrations = loadMigrations()): MigrateResult {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`)
  const from =
    (db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null })
      .v ?? 0
  const latest = migrations.at(-1)?.version ?? 0
  if (from > latest) {
    throw new AppError(
      'DB_TOO_NEW',
      `the index is at schema version ${from} but this asset-cache knows only up to ${latest}; run a newer asset-cache or restore a backup`,
      { found: from, expected: latest },
    )
  }
  const record = db.prepare(
    'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
  )
  const applied: string[] = []
  for (const m of migrations) {
    if (m.version <= from) continue
    db.transaction(() => {
      db.exec(m.sql)
      record.run(m.version, m.name, Date.now())
    }).immediate()
    applied.push(`${String(m.version).padStart(4, '0')}_${m.name}`)
  }
  return { from, to: Math.max(from, latest), applied }
}
