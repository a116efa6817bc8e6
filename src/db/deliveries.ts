// Delivery rows: every webhook whose signature verified, with what became of it. The table is
// bounded: every text field is capped (DELIVERY_TEXT_BYTES) and, on every insert, rows older
// than the newest `maxRows` are deleted; rows past the retention age go with GC (prune()).
import { cappedText } from '../capped-text.js'
import type { Db } from './open.js'

/**
 * Bytes kept of each text field. The header-derived ones (delivery id, event) are the sender's
 * to choose even on a replayed signed body; Gitea's own are far shorter (a UUID, `push`).
 */
export const DELIVERY_TEXT_BYTES = {
  deliveryId: 128,
  event: 64,
  repo: 256,
  ref: 1024,
  sha: 64,
  reason: 256,
} as const

export const DEFAULT_DELIVERY_MAX_ROWS = 100_000

/** The delivery id as it is stored and looked up (capped, well-formed). */
export function storedDeliveryId(id: string): string {
  return cappedText(id, DELIVERY_TEXT_BYTES.deliveryId)
}

const capped = (text: string | null | undefined, maxBytes: number): string | null =>
  text == null ? null : cappedText(text, maxBytes)

export type DeliveryOutcome = 'queued' | 'ok' | 'ignored' | 'duplicate' | 'invalid' | 'failed'

export interface DeliveryInput {
  deliveryId: string | null
  event: string
  repo?: string | null
  ref?: string | null
  before?: string | null
  after?: string | null
  outcome: DeliveryOutcome
  reason?: string | null
  jobIds?: number[]
}

export interface DeliveryRow {
  id: number
  deliveryId: string | null
  event: string
  repo: string | null
  ref: string | null
  before: string | null
  after: string | null
  outcome: DeliveryOutcome
  reason: string | null
  jobIds: number[]
  receivedAt: number
}

interface RawDelivery {
  id: number
  delivery_id: string | null
  event: string
  repo: string | null
  ref: string | null
  before_sha: string | null
  after_sha: string | null
  outcome: DeliveryOutcome
  reason: string | null
  job_ids: string | null
  received_at: number
}

const toRow = (r: RawDelivery): DeliveryRow => ({
  id: r.id,
  deliveryId: r.delivery_id,
  event: r.event,
  repo: r.repo,
  ref: r.ref,
  before: r.before_sha,
  after: r.after_sha,
  outcome: r.outcome,
  reason: r.reason,
  jobIds: r.job_ids ? (JSON.parse(r.job_ids) as number[]) : [],
  receivedAt: r.received_at,
})

/** The INSERT's parameters, in column order (repo twice: as given, and for lower(repo_key)). */
type InsertArgs = [
  deliveryId: string | null,
  event: string,
  repo: string | null,
  repoKey: string | null,
  ref: string | null,
  before: string | null,
  after: string | null,
  outcome: DeliveryOutcome,
  reason: string | null,
  jobIds: string | null,
  receivedAt: number,
]

export interface DeliveryQueriesOptions {
  /** Rows kept at most: each insert deletes those older than the newest `maxRows`. */
  maxRows?: number
}

export class DeliveryQueries {
  readonly #maxRows: number
  readonly #insert
  readonly #trimBelow
  readonly #trimOlder
  readonly #countPrunable
  readonly #count
  readonly #seen
  readonly #lastPush
  readonly #list
  readonly #forRepo
  readonly #byDeliveryId

  constructor(db: Db, options: DeliveryQueriesOptions = {}) {
    this.#maxRows = options.maxRows ?? DEFAULT_DELIVERY_MAX_ROWS
    // Positional parameters: binding an object by name costs more than the insert on the hot path.
    this.#insert = db.prepare<InsertArgs>(
      `INSERT INTO deliveries (delivery_id, event, repo, repo_key, ref, before_sha, after_sha, outcome, reason, job_ids, received_at)
       VALUES (?, ?, ?, lower(?), ?, ?, ?, ?, ?, ?, ?)`,
    )
    // Row ids only grow (INTEGER PRIMARY KEY, the oldest rows are the ones deleted): at most
    // `maxRows` rows have an id above `newest - maxRows`. A range of the primary key, no scan.
    this.#trimBelow = db.prepare<[number]>('DELETE FROM deliveries WHERE id <= ?')
    this.#trimOlder = db.prepare<[number]>('DELETE FROM deliveries WHERE received_at < ?')
    this.#countPrunable = db.prepare<[number, number], { n: number }>(
      'SELECT count(*) AS n FROM deliveries WHERE received_at < ? OR id <= ?',
    )
    this.#count = db.prepare<[], { n: number; newest: number | null }>(
      'SELECT count(*) AS n, max(id) AS newest FROM deliveries',
    )
    this.#seen = db.prepare<[string], { id: number }>(
      "SELECT id FROM deliveries WHERE delivery_id = ? AND outcome NOT IN ('duplicate', 'failed') LIMIT 1",
    )
    this.#lastPush = db.prepare<[string, string], { after_sha: string | null }>(
      `SELECT after_sha FROM deliveries
       WHERE repo_key = lower(?) AND ref = ? AND event = 'push' AND outcome IN ('queued', 'ok')
       ORDER BY id DESC LIMIT 1`,
    )
    this.#list = db.prepare<[number], RawDelivery>(
      'SELECT * FROM deliveries ORDER BY id DESC LIMIT ?',
    )
    this.#forRepo = db.prepare<[string, number], RawDelivery>(
      'SELECT * FROM deliveries WHERE repo_key = lower(?) ORDER BY id DESC LIMIT ?',
    )
    this.#byDeliveryId = db.prepare<[string], RawDelivery>(
      "SELECT * FROM deliveries WHERE delivery_id = ? AND outcome NOT IN ('duplicate', 'failed') ORDER BY id LIMIT 1",
    )
  }

  /** Records a delivery, every text capped, and deletes the rows past the newest `maxRows`. */
  record(d: DeliveryInput, now: number): number {
    const repo = capped(d.repo, DELIVERY_TEXT_BYTES.repo)
    const { lastInsertRowid } = this.#insert.run(
      capped(d.deliveryId, DELIVERY_TEXT_BYTES.deliveryId),
      cappedText(d.event, DELIVERY_TEXT_BYTES.event),
      repo,
      repo,
      capped(d.ref, DELIVERY_TEXT_BYTES.ref),
      capped(d.before, DELIVERY_TEXT_BYTES.sha),
      capped(d.after, DELIVERY_TEXT_BYTES.sha),
      d.outcome,
      capped(d.reason, DELIVERY_TEXT_BYTES.reason),
      d.jobIds?.length ? JSON.stringify(d.jobIds) : null,
      now,
    )
    const id = Number(lastInsertRowid)
    if (id > this.#maxRows) this.#trimBelow.run(id - this.#maxRows)
    return id
  }

  /**
   * Deletes rows received before `olderThan` (epoch ms) and rows past the newest `maxRows`;
   * with `dryRun`, only counts them. Returns how many rows went (or would go) and how many stay.
   */
  prune(options: { olderThan: number; maxRows?: number; dryRun?: boolean }): {
    removed: number
    kept: number
  } {
    const maxRows = options.maxRows ?? this.#maxRows
    const { n: before, newest } = this.#count.get()!
    const below = newest === null ? 0 : newest - maxRows
    if (options.dryRun) {
      const removed = this.#countPrunable.get(options.olderThan, below)!.n
      return { removed, kept: before - removed }
    }
    this.#trimOlder.run(options.olderThan)
    if (below > 0) this.#trimBelow.run(below)
    const after = this.#count.get()!.n
    return { removed: before - after, kept: after }
  }

  count(): number {
    return this.#count.get()!.n
  }

  /** A delivery id already handled (Gitea's redelivery, or a proxy replay). */
  seen(deliveryId: string): boolean {
    return this.#seen.get(storedDeliveryId(deliveryId)) !== undefined
  }

  /** `after` of the latest handled push to (repo, ref): the same again is a duplicate. */
  lastPushAfter(repo: string, ref: string): string | null {
    return this.#lastPush.get(repo, ref)?.after_sha ?? null
  }

  list(limit = 100): DeliveryRow[] {
    return this.#list.all(limit).map(toRow)
  }

  /** The first handled delivery with Gitea's id `deliveryId` (what a version's provenance names). */
  byDeliveryId(deliveryId: string): DeliveryRow | null {
    const raw = this.#byDeliveryId.get(storedDeliveryId(deliveryId))
    return raw ? toRow(raw) : null
  }

  forRepo(repo: string, limit = 100): DeliveryRow[] {
    return this.#forRepo.all(repo, limit).map(toRow)
  }
}
