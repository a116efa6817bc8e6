// Delivery rows: every webhook whose signature verified, with what became of it.
import type { Db } from './open.js'

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

export class DeliveryQueries {
  readonly #insert
  readonly #seen
  readonly #lastPush
  readonly #list
  readonly #forRepo
  readonly #byDeliveryId

  constructor(db: Db) {
    // Positional parameters: binding an object by name costs more than the insert on the hot path.
    this.#insert = db.prepare<InsertArgs>(
      `INSERT INTO deliveries (delivery_id, event, repo, repo_key, ref, before_sha, after_sha, outcome, reason, job_ids, received_at)
       VALUES (?, ?, ?, lower(?), ?, ?, ?, ?, ?, ?, ?)`,
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

  record(d: DeliveryInput, now = Date.now()): number {
    const repo = d.repo ?? null
    const { lastInsertRowid } = this.#insert.run(
      d.deliveryId,
      d.event,
      repo,
      repo,
      d.ref ?? null,
      d.before ?? null,
      d.after ?? null,
      d.outcome,
      d.reason ?? null,
      d.jobIds?.length ? JSON.stringify(d.jobIds) : null,
      now,
    )
    return Number(lastInsertRowid)
  }

  /** A delivery id already handled (Gitea's redelivery, or a proxy replay). */
  seen(deliveryId: string): boolean {
    return this.#seen.get(deliveryId) !== undefined
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
    const raw = this.#byDeliveryId.get(deliveryId)
    return raw ? toRow(raw) : null
  }

  forRepo(repo: string, limit = 100): DeliveryRow[] {
    return this.#forRepo.all(repo, limit).map(toRow)
  }
}
