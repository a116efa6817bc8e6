// Worker pool over the durable queue: claims due jobs (one per template at a time), runs them
// with bounded concurrency, retries failures with exponential backoff and jitter, drains on stop.

import type { Index, JobRow } from '../db/index.js'
import { codeOf } from '../errors.js'
import { type RetryOptions, retryDelay } from '../gitea/retry.js'
import type { Logger } from '../log.js'

export type JobRunner = (job: JobRow, signal: AbortSignal) => Promise<unknown>

/** `maxAttempts` counts runs per job; a job left failed is queued again by the next reconcile. */
export interface WorkerPoolOptions extends RetryOptions {
  index: Index
  run: JobRunner
  logger: Logger
  now: () => number
  concurrency?: number
  /** Longest sleep between two looks at the queue when nothing woke the pool. */
  idlePollMs?: number
  /** Errors that retrying cannot fix (e.g. a 404): the job fails at once. */
  isPermanent?: (err: unknown) => boolean
  /** After each run and the pool's decision: done, failed for good, or queued again. */
  onSettled?: (
    job: JobRow,
    result: {
      ok: boolean
      outcome?: unknown
      error?: unknown
      ms: number
      disposition: 'done' | 'failed' | 'retry'
    },
  ) => void
}

export class WorkerPool {
  readonly #o: Required<Omit<WorkerPoolOptions, 'onSettled' | 'isPermanent'>> &
    Pick<WorkerPoolOptions, 'onSettled' | 'isPermanent'>
  readonly #running = new Map<number, { promise: Promise<void>; abort: AbortController }>()
  #timer: NodeJS.Timeout | null = null
  /** Queue writes the index refused (a full or read-only disk), replayed before the next claim. */
  #unrecorded: (() => void)[] = []
  #stopped = true

  constructor(options: WorkerPoolOptions) {
    this.#o = {
      concurrency: 4,
      maxAttempts: 5,
      backoffBaseMs: 2_000,
      backoffMaxMs: 5 * 60_000,
      idlePollMs: 1_000,
      random: Math.random,
      ...options,
    }
  }

  get active(): number {
    return this.#running.size
  }

  start(): void {
    this.#stopped = false
    this.notify()
  }

  /** Something was queued: look at the queue now. */
  notify(): void {
    if (this.#stopped) return
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    queueMicrotask(() => this.#fill())
  }

  #fill(): void {
    if (this.#stopped) return
    // Outcomes the index refused earlier first; one still refused stays for the next look and
    // never holds back the other jobs (a full disk refuses the claims below as well).
    this.#unrecorded = this.#unrecorded.filter((write) => !this.#tried(write))
    try {
      while (this.#running.size < this.#o.concurrency) {
        const job = this.#o.index.jobs.claim(this.#o.now())
        if (!job) break
        const abort = new AbortController()
        const promise = this.#execute(job, abort.signal).finally(() => {
          this.#running.delete(job.id)
          this.notify()
        })
        this.#running.set(job.id, { promise, abort })
      }
      this.#schedule(this.#unrecorded.length > 0 ? this.#o.idlePollMs : undefined)
    } catch (err) {
      // The index refused a write: the queue stays as the index has it. Look again after a pause
      // rather than at once: the disk that refused it is seldom freed within a millisecond.
      this.#o.logger.error({ err }, 'the job queue could not be written; trying again')
      this.#schedule(this.#o.idlePollMs)
    }
  }

  /** Runs a write the index refused before; whether it went through this time. */
  #tried(write: () => void): boolean {
    try {
      write()
      return true
    } catch {
      return false
    }
  }

  /**
   * A job's outcome written to the queue. One the index refuses is kept and replayed before the
   * next claim; until then the row says `running`, so the job is neither lost nor run twice, and
   * a restart re-queues it.
   */
  #record(log: Logger, write: () => void): void {
    try {
      write()
    } catch (err) {
      log.error({ err }, "could not record the job's outcome; will record it again")
      this.#unrecorded.push(write)
    }
  }

  /** Sets the next look at the queue: after `waitMs`, else when the next job is due (or idle). */
  #schedule(waitMs?: number): void {
    if (this.#stopped || this.#timer) return
    const next = waitMs === undefined ? this.#o.index.jobs.nextRunAfter() : null
    const due = next === null ? this.#o.idlePollMs : next - this.#o.now()
    const wait = Math.max(0, Math.min(this.#o.idlePollMs, waitMs ?? due))
    this.#timer = setTimeout(() => {
      this.#timer = null
      this.#fill()
    }, wait)
    this.#timer.unref()
  }

  async #execute(job: JobRow, signal: AbortSignal): Promise<void> {
    const { index, logger } = this.#o
    const started = this.#o.now()
    const log = logger.child({ jobId: job.id, template: job.template, attempt: job.attempts })
    log.info({ trigger: job.trigger, force: job.force }, 'job started')
    let outcome: unknown
    try {
      outcome = await this.#o.run(job, signal)
    } catch (err) {
      this.#failed(job, err, signal, log, started)
      return
    }
    const done = this.#o.now()
    this.#record(log, () => index.jobs.complete(job.id, outcome, done))
    this.#o.onSettled?.(job, {
      ok: true,
      outcome,
      ms: this.#o.now() - started,
      disposition: 'done',
    })
  }

  /** A run that threw: re-queued at once when stopping, else retried with backoff or failed. */
  #failed(job: JobRow, err: unknown, signal: AbortSignal, log: Logger, started: number): void {
    const { index } = this.#o
    const code = codeOf(err)
    const message = err instanceof Error ? err.message : String(err)
    const settled = (disposition: 'failed' | 'retry') =>
      this.#o.onSettled?.(job, { ok: false, error: err, ms: this.#o.now() - started, disposition })
    const now = this.#o.now()
    if (signal.aborted) {
      // Stopped mid-run: the job goes back to the queue untouched by backoff.
      this.#record(log, () =>
        index.jobs.retry(job.id, now, 'INTERRUPTED', 'stopped while running', now),
      )
      log.warn({ code: 'INTERRUPTED' }, 'job interrupted by shutdown; re-queued')
      settled('retry')
      return
    }
    if (code === 'INTERNAL') log.error({ err }, 'job failed unexpectedly')
    const permanent = this.#o.isPermanent?.(err) ?? false
    if (permanent || job.attempts >= this.#o.maxAttempts) {
      this.#record(log, () => index.jobs.fail(job.id, code, message, null, now))
      log.warn({ code, error: message, attempts: job.attempts }, 'job failed')
      settled('failed')
    } else {
      const delay = retryDelay(job.attempts, this.#o)
      this.#record(log, () => index.jobs.retry(job.id, now + delay, code, message, now))
      log.warn({ code, error: message, retryInMs: delay }, 'job failed; will retry')
      settled('retry')
    }
  }

  /**
   * Stops claiming, lets running jobs finish for up to `graceMs`, then aborts the rest (they are
   * re-queued, so nothing is lost).
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.#stopped = true
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    const all = () => Promise.all([...this.#running.values()].map((r) => r.promise))
    let timer: NodeJS.Timeout | undefined
    const timedOut = await Promise.race([
      all().then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), graceMs)
      }),
    ])
    clearTimeout(timer)
    if (timedOut) {
      for (const r of this.#running.values()) r.abort.abort(new Error('shutting down'))
      await all()
    }
  }
}
