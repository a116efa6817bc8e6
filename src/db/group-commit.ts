// Group commit for work that arrives concurrently (webhook deliveries): everything queued in one
// turn of the event loop shares one IMMEDIATE transaction, each piece in its own savepoint.
import { open } from 'node:fs/promises'
import type { Db } from './open.js'

interface Pending<T> {
  work: () => T
  resolve: (answer: T) => void
  reject: (err: unknown) => void
}

/** What became of one piece inside the transaction (settled only after the COMMIT and sync). */
type Outcome<T> =
  | { item: Pending<T>; ok: true; answer: T }
  | { item: Pending<T>; ok: false; err: unknown }

/**
 * Group commit. The deliveries whose bodies finished arriving in one turn of the event loop are
 * handled in one IMMEDIATE transaction, each in its own savepoint, instead of one transaction
 * each: a burst of deliveries pays one BEGIN, one COMMIT and one write of the shared pages to the
 * WAL. Each delivery still sees the rows of the ones before it (dedupe is unchanged), one that
 * throws rolls back only its savepoint, and no answer is given before the COMMIT that holds its
 * row: a failed COMMIT fails every delivery of the batch, as it would have failed each alone.
 *
 * An answer leaves only once its row is on disk, since Gitea never retries a delivery it saw
 * acknowledged: after the COMMIT (the connection's NORMAL sync writes the WAL without syncing it)
 * the WAL file is fsynced on libuv's thread pool. That is what FULL sync would do, without
 * blocking the event loop for it (~1.3 ms here, a second or more when the host's disk stalls):
 * boots keep being answered meanwhile, and the rest of the index's writes, which the reconciler
 * or a retry can always redo, stay unsynced until a checkpoint.
 */
export class GroupCommit {
  readonly #db: Db
  readonly #batch
  readonly #savepoint
  readonly #sync: (walPath: string) => Promise<void>
  #pending: Pending<unknown>[] = []

  /** `sync` makes the WAL durable (fsync); replaced only by tests, to order or fail it. */
  constructor(db: Db, sync: (walPath: string) => Promise<void> = fsyncFile) {
    this.#db = db
    this.#sync = sync
    // Transaction functions are made once: better-sqlite3 builds four wrappers per call.
    this.#savepoint = db.transaction((work: () => unknown) => work())
    this.#batch = db.transaction((batch: Pending<unknown>[]) => {
      const outcomes: Outcome<unknown>[] = []
      for (const item of batch) {
        // An error that ended the whole transaction (SQLITE_FULL, IOERR) must not let the next
        // deliveries run in autocommit mode: the batch fails as one.
        if (!db.inTransaction) throw new Error('the transaction was rolled back')
        try {
          outcomes.push({ item, ok: true, answer: this.#savepoint(item.work) })
        } catch (err) {
          outcomes.push({ item, ok: false, err })
        }
      }
      return outcomes
    })
  }

  /** Runs `work` in the next batch; resolves once the batch committed. */
  run<T>(work: () => T): Promise<T> {
    return new Promise((resolve, reject) => {
      const item: Pending<unknown> = { work, resolve: resolve as (v: unknown) => void, reject }
      if (this.#pending.push(item) === 1) {
        setImmediate(() => void this.#flush())
      }
    })
  }

  async #flush(): Promise<void> {
    const batch = this.#pending
    this.#pending = []
    let outcomes: Outcome<unknown>[]
    try {
      outcomes = this.#batch.immediate(batch)
    } catch (err) {
      for (const item of batch) item.reject(err)
      return
    }
    let unsynced: UnsyncedCommit | null = null
    try {
      // Batches that commit meanwhile start their own sync; each waits for one covering its rows.
      if (!this.#db.memory) await this.#sync(`${this.#db.name}-wal`)
    } catch (err) {
      // Committed, but not known to be on disk: no answer may say it is.
      unsynced = new UnsyncedCommit(err)
    }
    for (const o of outcomes) {
      if (!o.ok) o.item.reject(o.err)
      else if (unsynced) o.item.reject(unsynced)
      else o.item.resolve(o.answer)
    }
  }
}

/** The batch committed (its rows exist) but the WAL could not be synced, so it is not durable. */
export class UnsyncedCommit extends Error {
  readonly code: string
  constructor(cause: unknown) {
    super('the index committed but could not sync its write-ahead log', { cause })
    this.name = 'UnsyncedCommit'
    const code = (cause as { code?: unknown }).code
    this.code = typeof code === 'string' ? code : 'EIO'
  }
}

/** fsync through a handle of its own (the inode's dirty pages, whoever wrote them). */
async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
