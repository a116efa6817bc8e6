// Group commit for work that arrives concurrently (webhook deliveries): everything queued in one
// turn of the event loop shares one IMMEDIATE transaction, each piece in its own savepoint.
import type { Db } from './open.js'

interface Pending<T> {
  work: () => T
  resolve: (answer: T) => void
  reject: (err: unknown) => void
}

/**
 * Group commit. The deliveries whose bodies finished arriving in one turn of the event loop are
 * handled in one IMMEDIATE transaction, each in its own savepoint, instead of one transaction
 * each: a burst of deliveries pays one BEGIN, one COMMIT and one write of the shared pages to the
 * WAL. Each delivery still sees the rows of the ones before it (dedupe is unchanged), one that
 * throws rolls back only its savepoint, and no answer is given before the COMMIT that holds its
 * row: a failed COMMIT fails every delivery of the batch, as it would have failed each alone.
 *
 * The batch commits with `synchronous = FULL` (the connection's NORMAL is restored after): an
 * answer leaves only once its row is on disk, since Gitea never retries a delivery it saw
 * acknowledged. That fsync (~1.3 ms here) is paid once per batch, not per delivery, and not by
 * the rest of the index's writes, which the reconciler or a retry can always redo.
 */
export class GroupCommit<T> {
  readonly #db: Db
  readonly #batch
  readonly #savepoint
  #pending: Pending<T>[] = []

  constructor(db: Db) {
    this.#db = db
    // Transaction functions are made once: better-sqlite3 builds four wrappers per call.
    this.#savepoint = db.transaction((work: () => T) => work())
    this.#batch = db.transaction((batch: Pending<T>[]) => {
      const settled: (() => void)[] = []
      for (const item of batch) {
        // An error that ended the whole transaction (SQLITE_FULL, IOERR) must not let the next
        // deliveries run in autocommit mode: the batch fails as one.
        if (!db.inTransaction) throw new Error('the transaction was rolled back')
        try {
          const answer = this.#savepoint(item.work)
          settled.push(() => item.resolve(answer))
        } catch (err) {
          settled.push(() => item.reject(err))
        }
      }
      return settled
    })
  }

  /** Runs `work` in the next batch; resolves once the batch committed. */
  run(work: () => T): Promise<T> {
    return new Promise((resolve, reject) => {
      if (this.#pending.push({ work, resolve, reject }) === 1) setImmediate(() => this.#flush())
    })
  }

  #flush(): void {
    const batch = this.#pending
    this.#pending = []
    let settled: (() => void)[]
    try {
      const sync = this.#db.pragma('synchronous', { simple: true }) as number
      this.#db.pragma('synchronous = FULL')
      try {
        settled = this.#batch.immediate(batch)
      } finally {
        this.#db.pragma(`synchronous = ${sync}`)
      }
    } catch (err) {
      for (const item of batch) item.reject(err)
      return
    }
    for (const settle of settled) settle()
  }
}

const groupCommits = new WeakMap<Db, GroupCommit<unknown>>()

/** The connection's group commit (one per Db, whatever the work's type). */
export function groupCommit<T>(db: Db): GroupCommit<T> {
  let group = groupCommits.get(db)
  if (!group) {
    group = new GroupCommit<unknown>(db)
    groupCommits.set(db, group)
  }
  return group as GroupCommit<T>
}
