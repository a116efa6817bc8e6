// Withdrawing a blob that failed verification on read: the index and store side. The HTTP side
// (the 500 `BUNDLE_CORRUPT` answer) stays with the bundle route.
import type { Index, JobRow } from '../db/index.js'
import type { Logger } from '../log.js'
import type { ContentStore } from '../store/index.js'
import { requeueServing } from './verify.js'

/** What a withdrawal touches: the index, the store, and the cache that may hold the bytes. */
export interface Withdrawal {
  index: Index
  store: Pick<ContentStore, 'quarantine'>
  logger: Logger
  /** Evicts the digest from an in-memory cache of bundle bytes. */
  evict: (digest: string) => void
  /** Stamps the refresh jobs the withdrawal queues. */
  now: () => number
  onEnqueued?: (job: JobRow) => void
}

/**
 * Withdraws a blob that failed verification: quarantine, evict, queue a forced refresh of every
 * template whose current or pinned digest it is. Never throws.
 */
export async function withdrawCorrupt(w: Withdrawal, digest: string, err: unknown): Promise<void> {
  w.logger.error({ digest, err }, 'bundle failed verification on read; quarantined')
  w.evict(digest)
  try {
    await w.store.quarantine(digest)
  } catch (qerr) {
    w.logger.error({ digest, err: qerr }, 'could not quarantine a corrupt bundle')
  }
  try {
    requeueServing(w.index, digest, w.now(), w.onEnqueued)
  } catch (qerr) {
    w.logger.error({ digest, err: qerr }, 'could not queue a refresh for a corrupt bundle')
  }
}
