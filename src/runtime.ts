// Opens what every command needs from the data directory: the index and the content store.
import { join } from 'node:path'
import type { Config } from './config.js'
import { type Index, openIndex } from './db/index.js'
import { ContentStore } from './store/index.js'

export interface Runtime {
  config: Config
  index: Index
  store: ContentStore
  /** Where the validator spools kept files: inside the data dir, so renames stay on one filesystem. */
  spoolDir: string
  close(): void
}

export async function openRuntime(config: Config): Promise<Runtime> {
  const store = await ContentStore.open(config.dataDir)
  const index = openIndex(join(config.dataDir, 'index.db'), {
    deliveryMaxRows: config.deliveries.maxRows,
  })
  index.templates.sync(config.templates)
  return {
    config,
    index,
    store,
    spoolDir: join(config.dataDir, 'tmp'),
    close: () => index.close(),
  }
}
