// Job rows: the durable refresh queue. At most one queued and one running job per template.
import type { Db } from './open.js'

export type JobState = 'queued' | 'running' | 'done' | 'failed'
export type JobTrigger = 'webhook' | 'reconcile' | 'admin' | 'startup'

export interface JobRow {
  id: number
  template: string
  state: JobState
  trigger: JobTrigger
  deliveryId: string | null
  force: boolean
  attempts: number
  runAfter: number
  lastErrorCode: string | null
  lastError: string | null
  outcome: unknown
  createdAt: number
  updatedAt: number
  startedAt: number | null
  finishedAt: number | null
}

interface RawJob {
  id: number
  template: string
  state: JobState
  trigger: JobTrigger
  delivery_id: string | null
  force: number
  attempts: number
  run_after: number
  last_error_code: string | null
  last_error: string | null
  outcome: string | null
  created_at: number
  updated_at: number
  started_at: number | null
  finished_at: number | null
}

const toRow = (r: RawJob): JobRow => ({
  id: r.id,
  template: r.template,
  state: r.state,
  trigger: r.trigger,
  deliveryId: r.delivery_id,
  force: r.force === 1,
  attempts: r.attempts,
  runAfter: r.run_after,
  lastErrorCode: r.last_error_code,
  lastError: r.last_error,
  outcome: r.outcome === null ? null : JSON.parse(r.outcome),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
})

export interface EnqueueInput {
  template: string
  trigger: JobTrigger
  deliveryId?: string | null
  force?: boolean
  /**
   * Let a moving branch settle: when this request finds the template already being fetched, or
   * joins a queued job, the queued job waits until `settleMs` after the latest request (but no
   * more than `settleMaxMs` after it was queued), so a burst of pushes costs one more fetch, not
   * one per push. A lone request still runs at once.
   */
  settleMs?: number
  settleMaxMs?: number
}

export class JobQueries {
  readonly #db: Db
  readonly #get
  readonly #queuedFor
  readonly #runningFor
  readonly #settle
  readonly #insert
  readonly #promote
  readonly #expedite
  readonly #claim
  readonly #finish
  readonly #requeue
  readonly #delay
  readonly #requeueRunning
  readonly #supersedeRunning
  readonly #counts
  readonly #list
  readonly #listState
  readonly #forTemplate
  readonly #nextRunAfter
  readonly #enqueue
  readonly #retry

  constructor(db: Db) {
    this.#db = db
    this.#get = db.prepare<[number], RawJob>('SELECT * FROM jobs WHERE id = ?')
    this.#queuedFor = db.prepare<[string], RawJob>(
      "SELECT * FROM jobs WHERE template = ? AND state = 'queued'",
    )
    this.#runningFor = db.prepare<[string], { id: number }>(
      "SELECT id FROM jobs WHERE template = ? AND state = 'running'",
    )
    this.#insert = db.prepare<Record<string, unknown>, RawJob>(
      `INSERT INTO jobs (template, state, trigger, delivery_id, force, run_after, created_at, updated_at)
       VALUES (@template, 'queued', @trigger, @deliveryId, @force, @runAfter, @now, @now) RETURNING *`,
    )
    this.#settle = db.prepare(
      `UPDATE jobs SET run_after = max(run_after, min(created_at + @max, @until)), updated_at = @now
       WHERE id = @id AND state = 'queued' AND force = 0`,
    )
    // A forced request (admin) joining a queued job makes it forced and runnable now.
    this.#promote = db.prepare(
      "UPDATE jobs SET force = 1, run_after = min(run_after, ?), updated_at = ? WHERE id = ? AND state = 'queued'",
    )
    this.#expedite = db.prepare(
      "UPDATE jobs SET run_after = min(run_after, ?), updated_at = ? WHERE id = ? AND state = 'queued'",
    )
    this.#claim = db.prepare<{ now: number }, RawJob>(
      `UPDATE jobs SET state = 'running', attempts = attempts + 1, started_at = @now, updated_at = @now
       WHERE id = (
         SELECT id FROM jobs AS q
         WHERE q.state = 'queued' AND q.run_after <= @now
           AND NOT EXISTS (SELECT 1 FROM jobs AS r WHERE r.template = q.template AND r.state = 'running')
         ORDER BY q.run_after, q.id LIMIT 1)
       RETURNING *`,
    )
    this.#finish = db.prepare(
      `UPDATE jobs SET state = @state, outcome = @outcome, last_error_code = coalesce(@code, last_error_code),
         last_error = coalesce(@error, last_error), finished_at = @now, updated_at = @now
       WHERE id = @id AND state = 'running'`,
    )
    this.#requeue = db.prepare(
      `UPDATE jobs SET state = 'queued', run_after = @runAfter, last_error_code = @code, last_error = @error,
         updated_at = @now WHERE id = @id AND state = 'running'`,
    )
    this.#delay = db.prepare(
      'UPDATE jobs SET run_after = max(run_after, ?), updated_at = ? WHERE id = ?',
    )
    this.#requeueRunning = db.prepare(
      "UPDATE jobs SET state = 'queued', run_after = @now, updated_at = @now WHERE state = 'running'",
    )
    // Where a template also has a queued job, the queued one stands for both.
    this.#supersedeRunning = db.prepare(
      `UPDATE jobs SET state = 'failed', last_error_code = 'INTERRUPTED', finished_at = @now, updated_at = @now
       WHERE state = 'running' AND template IN (SELECT template FROM jobs WHERE state = 'queued')`,
    )
    this.#counts = db.prepare<[], { state: JobState; n: number }>(
      "SELECT state, count(*) AS n FROM jobs WHERE state IN ('queued', 'running') GROUP BY state",
    )
    this.#list = db.prepare<[number], RawJob>('SELECT * FROM jobs ORDER BY id DESC LIMIT ?')
    this.#forTemplate = db.prepare<[string, number], RawJob>(
      'SELECT * FROM jobs WHERE template = ? ORDER BY id DESC LIMIT ?',
    )
    this.#listState = db.prepare<[string, number], RawJob>(
      'SELECT * FROM jobs WHERE state = ? ORDER BY id DESC LIMIT ?',
    )
    this.#nextRunAfter = db.prepare<[], { t: number | null }>(
      "SELECT min(run_after) AS t FROM jobs WHERE state = 'queued'",
    )
    // Transaction functions are made once: better-sqlite3 builds four wrappers per transaction().
    this.#enqueue = db.transaction((input: EnqueueInput, now: number) => {
      const settle = input.settleMs ?? 0
      const queued = this.#queuedFor.get(input.template)
      if (queued) {
        if (input.force && queued.force === 0) this.#promote.run(now, now, queued.id)
        else if (
          (queued.attempts > 0 || queued.last_error_code !== null) &&
          queued.run_after > now + settle
        ) {
          // A retry waiting out its backoff: a new push or a successful head read is fresh
          // news that the origin answers again, so it runs now (after the settle time).
          this.#expedite.run(now + settle, now, queued.id)
        } else if (settle > 0) {
          const max = input.settleMaxMs ?? settle
          this.#settle.run({ id: queued.id, until: now + settle, max, now })
        }
        return { job: toRow(this.#get.get(queued.id)!), created: false }
      }
      const moving = settle > 0 && !input.force && this.#runningFor.get(input.template)
      const raw = this.#insert.get({
        template: input.template,
        trigger: input.trigger,
        deliveryId: input.deliveryId ?? null,
        force: input.force ? 1 : 0,
        runAfter: moving ? now + settle : now,
        now,
      })!
      return { job: toRow(raw), created: true }
    })
    this.#retry = db.transaction(
      (id: number, runAfter: number, code: string, error: string, now: number) => {
        const job = this.#get.get(id)
        if (job?.state !== 'running') return
        const queued = this.#queuedFor.get(job.template)
        if (queued) {
          this.#delay.run(runAfter, now, queued.id)
          this.#finish.run({
            id,
            state: 'failed',
            outcome: JSON.stringify({ supersededBy: queued.id }),
            code,
            error,
            now,
          })
        } else {
          this.#requeue.run({ id, runAfter, code, error, now })
        }
      },
    )
  }

  get(id: number): JobRow | null {
    const raw = this.#get.get(id)
    return raw ? toRow(raw) : null
  }

  /**
   * Queues a refresh of `template`, or joins the one already queued (a storm coalesces).
   * A running job does not absorb the request: its head was read before this push.
   */
  enqueue(input: EnqueueInput, now: number): { job: JobRow; created: boolean } {
    return this.#enqueue.immediate(input, now)
  }

  /** Takes the next runnable job (queued, due, its template not running) and marks it running. */
  claim(now: number): JobRow | null {
    const raw = this.#claim.get({ now })
    return raw ? toRow(raw) : null
  }

  complete(id: number, outcome: unknown, now: number): void {
    this.#finish.run({
      id,
      state: 'done',
      outcome: JSON.stringify(outcome),
      code: null,
      error: null,
      now,
    })
  }

  fail(id: number, code: string, error: string, outcome: unknown = null, now: number): void {
    this.#finish.run({ id, state: 'failed', outcome: JSON.stringify(outcome), code, error, now })
  }

  /**
   * Puts a failed running job back in the queue to run at `runAfter`. When another job for the
   * template was queued meanwhile, that one carries the retry (delayed as well) and this one ends failed.
   */
  retry(id: number, runAfter: number, code: string, error: string, now: number): void {
    this.#retry.immediate(id, runAfter, code, error, now)
  }

  /** At start-up: a job found running belonged to a process that died; it runs again. */
  requeueRunning(now: number): number {
    return this.#db
      .transaction(() => {
        this.#supersedeRunning.run({ now })
        return this.#requeueRunning.run({ now }).changes
      })
      .immediate()
  }

  depth(): { queued: number; running: number } {
    const counts = { queued: 0, running: 0 }
    for (const { state, n } of this.#counts.all()) counts[state as 'queued' | 'running'] = n
    return counts
  }

  /** When the earliest queued job becomes due, or null when none is queued. */
  nextRunAfter(): number | null {
    return this.#nextRunAfter.get()?.t ?? null
  }

  list(options: { state?: JobState; limit?: number } = {}): JobRow[] {
    const limit = options.limit ?? 100
    const raws = options.state ? this.#listState.all(options.state, limit) : this.#list.all(limit)
    return raws.map(toRow)
  }

  /** A template's jobs, newest first. */
  forTemplate(template: string, limit = 20): JobRow[] {
    return this.#forTemplate.all(template, limit).map(toRow)
  }
}
