// The index: key → digest in SQLite. Opens, migrates and exposes typed queries.

import { AttestationQueries } from './attestations.js'
import { BranchStateQueries } from './branch-state.js'
import { BundleQueries } from './bundles.js'
import { DeliveryQueries } from './deliveries.js'
import { GroupCommit } from './group-commit.js'
import { JobQueries } from './jobs.js'
import { migrate } from './migrate.js'
import { type Db, openDb } from './open.js'
import { PublishQueries } from './publish.js'
import { RetentionQueries } from './retention.js'
import { StatusQueries } from './status.js'
import { CommitStatusQueries } from './statuses.js'
import { TemplateQueries } from './templates.js'
import { VersionQueries } from './versions.js'

export type { AttestationRow, UnsignedVersion } from './attestations.js'
export { BRANCH_DELETED, type BranchDeleted } from './branch-state.js'
export type { BundleFile, BundleRow } from './bundles.js'
export type { DeliveryInput, DeliveryOutcome, DeliveryRow } from './deliveries.js'
export { DEFAULT_DELIVERY_MAX_ROWS, DELIVERY_TEXT_BYTES, storedDeliveryId } from './deliveries.js'
export type { EnqueueInput, JobRow, JobState, JobTrigger } from './jobs.js'
export { loadMigrations, migrate } from './migrate.js'
export type { Db } from './open.js'
export { openDb } from './open.js'
export type { PublishState, PublishStatus } from './publish.js'
export type { CommitState, StatusInput, StatusResult, StatusRow } from './statuses.js'
export { isTracked } from './template-sync.js'
export type { ForgetResult, SyncOptions, SyncPlan, TemplateRow } from './templates.js'
export type { VersionInput, VersionRow, VersionSource, VersionStatus } from './versions.js'

export interface IndexOptions {
  /** Delivery rows kept at most (ASSET_CACHE_DELIVERY_MAX_ROWS). */
  deliveryMaxRows?: number
}

export class Index {
  readonly db: Db
  readonly templates: TemplateQueries
  readonly versions: VersionQueries
  readonly bundles: BundleQueries
  readonly jobs: JobQueries
  readonly deliveries: DeliveryQueries
  readonly retention: RetentionQueries
  readonly branches: BranchStateQueries
  readonly publish: PublishQueries
  readonly status: StatusQueries
  /** The connection's group commit (webhook deliveries that arrive together share one commit). */
  readonly groupCommit: GroupCommit
  /** Commit statuses queued for Gitea, and how posting each went. */
  readonly commitStatuses: CommitStatusQueries
  readonly attestations: AttestationQueries
  readonly #stamp
  readonly #local
  /** One transaction function for every transaction(): better-sqlite3 builds four per call. */
  readonly #run

  constructor(db: Db, options: IndexOptions = {}) {
    this.db = db
    // total_changes(): rows this connection wrote; data_version: moves when another connection
    // (the CLI's gc or ingest, another process) commits. No table is read.
    this.#stamp = db
      .prepare<[], [number, number]>(
        'SELECT total_changes(), data_version FROM pragma_data_version',
      )
      .raw()
    this.#local = db.prepare<[], number>('SELECT total_changes()').pluck()
    this.#run = db.transaction((fn: () => unknown) => fn())
    this.templates = new TemplateQueries(db)
    this.versions = new VersionQueries(db)
    this.bundles = new BundleQueries(db)
    this.jobs = new JobQueries(db)
    this.deliveries = new DeliveryQueries(
      db,
      options.deliveryMaxRows === undefined ? {} : { maxRows: options.deliveryMaxRows },
    )
    this.retention = new RetentionQueries(db)
    this.branches = new BranchStateQueries(db)
    this.publish = new PublishQueries(db)
    this.status = new StatusQueries(db)
    this.groupCommit = new GroupCommit(db)
    this.commitStatuses = new CommitStatusQueries(db)
    this.attestations = new AttestationQueries(db)
  }

  /**
   * A stamp that differs from an earlier one whenever the index may have changed since: any row
   * written through this connection, or any commit by another. Caches of derived views compare it.
   */
  changeStamp(): readonly [number, number] {
    return this.#stamp.get()!
  }

  /** Rows written through this connection so far (the cheap half of changeStamp). */
  localChanges(): number {
    return this.#local.get()!
  }

  /** Runs `fn` in one IMMEDIATE transaction (takes the write lock up front). */
  transaction<T>(fn: () => T): T {
    return this.#run.immediate(fn) as T
  }

  /**
   * Whether the index reads and takes the write lock: `SELECT 1`, then `BEGIN IMMEDIATE` and
   * `ROLLBACK` (nothing is written). better-sqlite3 waits synchronously, so the busy timeout is
   * lowered to `busyMs` for the probe. Null when it does, or the error's code.
   */
  probe(busyMs: number): string | null {
    const { db } = this
    if (!db.open) return 'CLOSED'
    if (db.inTransaction) return null
    const saved = db.pragma('busy_timeout', { simple: true }) as number
    try {
      db.prepare('SELECT 1').get()
      db.pragma(`busy_timeout = ${busyMs}`)
      db.exec('BEGIN IMMEDIATE')
      db.exec('ROLLBACK')
      return null
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK')
      return (err as { code?: string }).code ?? 'ERROR'
    } finally {
      db.pragma(`busy_timeout = ${saved}`)
    }
  }

  close(): void {
    if (this.db.open) this.db.close()
  }
}

/** Opens `file` (created if absent), applies pending migrations, prepares every query. */
export function openIndex(file: string, options: IndexOptions = {}): Index {
  const db = openDb(file)
  try {
    migrate(db)
    return new Index(db, options)
  } catch (err) {
    db.close()
    throw err
  }
}
