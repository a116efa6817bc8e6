// Opens what every command needs from the data directory: the index and the content store.
// Opening changes no template: only `serve` and `asset-cache templates sync` apply the manifest
// (templates-manifest.ts), so a command run without the server's ASSET_CACHE_TEMPLATES beside a
// running server leaves what it serves alone.
import { join } from 'node:path'
import type { Config } from './config.js'
import { dataDirError } from './data-dir.js'
import { type Index, openIndex } from './db/index.js'
import { ContentStore } from './store/index.js'

export interface Runtime {
  config: Config
  index: Index
  store: ContentStore
  /** Where the validator spools kept files: inside the data dir, so renames stay on one filesystem. */
  spoolDir: string
  /** The clock every command and the server run on. */
  now: () => number
  close(): void
}

/** Opens the store and the index; a data directory it cannot use is DATA_DIR_UNUSABLE. */
export async function openRuntime(config: Config): Promise<Runtime> {
  let store: ContentStore
  let index: Index
  try {
    store = await ContentStore.open(config.dataDir)
    index = openIndex(join(config.dataDir, 'index.db'), {
      deliveryMaxRows: config.deliveries.maxRows,
    })
  } catch (err) {
    throw dataDirError(config.dataDir, err)
  }
  return {
    config,
    index,
    store,
    spoolDir: join(config.dataDir, 'tmp'),
    now: Date.now,
    close: () => index.close(),
  }
}
