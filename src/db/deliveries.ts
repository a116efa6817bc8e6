// Delivery rows: every webhook whose signature verified, with what became of it.
import type { Db } from './open.js'

export type DeliveryOutcome = 'queued' | 'ok' | 'ignored' | 'duplicate' | 'invalid'

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

export class DeliveryQueries {
  readonly #insert
  readonly #seen
  readonly #lastPush
  readonly #list
  readonly #forRepo
  readonly #byDeliveryId

  constructor(db: Db) {
    this.#insert = db.prepare<Record<string, unknown>, { id: number }>(
      `INSERT INTO deliveries (delivery_id, event, repo, repo_key, ref, before_sha, after_sha, outcome, reason, job_ids, received_at)
       VALUES (@deliveryId, @event, @repo, lower(@repo), @ref, @before, @after, @outcome, @reason, @jobIds, @now)
       RETURNING id`,
    )
    this.#seen = db.prepare<[string], { id: number }>(
      "SELECT id FROM deliveries WHERE delivery_id = ? AND outcome <> 'duplicate' LIMIT 1",
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
      "SELECT * FROM deliveries WHERE delivery_id = ? AND outcome <> 'duplicate' ORDER BY id LIMIT 1",
    )
  }

  record(d: DeliveryInput, now = Date.now()): number {
    return this.#insert.get({
      deliveryId: d.deliveryId,
      event: d.event,
      repo: d.repo ?? null,
      ref: d.ref ?? null,
      before: d.before ?? null,
      after: d.after ?? null,
      outcome: d.outcome,
      reason: d.reason ?? null,
      jobIds: d.jobIds?.length ? JSON.stringify(d.jobIds) : null,
      now,
    })!.id
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
