// Withdrawing a stored bundle whose bytes failed verification on a read (a bundle answer, or a
// publish upload): it is quarantined (store/quarantine), dropped from the hot cache when one is
// given, and every template whose current or pinned digest it is gets a forced refresh queued.
import type { Index, JobRow } from '../db/index.js'
import type { Logger } from '../log.js'
import type { ContentStore } from '../store/index.js'
import { requeueServing } from './verify.js'

export interface WithdrawDeps {
  index: Index
  store: ContentStore
  logger: Logger
  onEnqueued?: (job: JobRow) => void
  /** The in-memory copies of bundles, if any: the withdrawn one is dropped. */
  hot?: { delete(digest: string): unknown }
}

/** Withdraws the blob `digest` that failed verification with `err`. Never throws. */
export async function withdrawCorrupt(
  deps: WithdrawDeps,
  digest: string,
  err: unknown,
): Promise<void> {
  deps.logger.error({ digest, err }, 'bundle failed verification on read; quarantined')
  deps.hot?.delete(digest)
  try {
    await deps.store.quarantine(digest)
  } catch (qerr) {
    deps.logger.error({ digest, err: qerr }, 'could not quarantine a corrupt bundle')
  }
  try {
    requeueServing(deps.index, digest, deps.onEnqueued)
  } catch (qerr) {
    deps.logger.error({ digest, err: qerr }, 'could not queue a refresh for a corrupt bundle')
  }
}
