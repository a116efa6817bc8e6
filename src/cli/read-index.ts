// The index for commands that only read (`ls`, `templates sync --dry-run`): opened read-only,
// nothing created or written in ASSET_CACHE_DATA_DIR (see db/open-readonly.ts).
import { statSync } from 'node:fs'
import { join } from 'node:path'
import type { AdminReadDeps } from '../admin/views.js'
import type { Config } from '../config.js'
import { dataDirError } from '../data-dir.js'
import type { Index } from '../db/index.js'
import { emptyIndex, openIndexReadOnly } from '../db/open-readonly.js'

/** Opens the index read-only; a data directory with no index yet reads as an empty one. */
export function readIndex(config: Config): Index {
  try {
    if (!statSync(config.dataDir).isDirectory()) {
      throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' })
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw dataDirError(config.dataDir, err)
  }
  try {
    const index = openIndexReadOnly(join(config.dataDir, 'index.db'))
    if (index) return index
  } catch (err) {
    throw dataDirError(config.dataDir, err)
  }
  process.stderr.write(
    `asset-cache: no index in ASSET_CACHE_DATA_DIR (${config.dataDir}) yet: nothing is stored there\n`,
  )
  return emptyIndex()
}

/** Runs `fn` over the read-only index and the configuration, closing the index after. */
export async function withReadIndex(
  config: Config,
  fn: (deps: AdminReadDeps) => number | Promise<number>,
): Promise<number> {
  const index = readIndex(config)
  try {
    return await fn({ config, index })
  } finally {
    index.close()
  }
}
