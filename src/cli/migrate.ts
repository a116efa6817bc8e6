// `asset-cache migrate`: create or upgrade the SQLite index in ASSET_CACHE_DATA_DIR.
import { join } from 'node:path'
import type { Config } from '../config.js'
import { dataDirError } from '../data-dir.js'
import { migrate, openDb } from '../db/index.js'
import type { MigrateResult } from '../db/migrate.js'

export function migrateCommand(config: Config): number {
  let r: MigrateResult
  try {
    const db = openDb(join(config.dataDir, 'index.db'))
    try {
      r = migrate(db)
    } finally {
      db.close()
    }
  } catch (err) {
    throw dataDirError(config.dataDir, err)
  }
  process.stdout.write(
    r.applied.length
      ? `applied ${r.applied.join(', ')} (schema ${r.from} → ${r.to})\n`
      : `up to date (schema ${r.to})\n`,
  )
  return 0
}
