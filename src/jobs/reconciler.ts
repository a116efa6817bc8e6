// Reconciler: Gitea never retries a lost webhook, so every interval (with jitter) each tracked
// template's branch head is read once and a refresh is queued where the head has no ready version.

import { commitPin } from '../cache/resolve.js'
import type { Index, JobRow } from '../db/index.js'
import type { GiteaClient } from '../gitea/client.js'
import type { Logger } from '../log.js'

export interface ReconcilerOptions {
  index: Index
  gitea: GiteaClient | null
  logger: Logger
  intervalMs: number
  /** Fraction of the interval added or removed at random, so replicas do not poll in step. */
  jitter?: number
  /** Branch lookups in flight at once. */
  concurrency?: number
  onEnqueued?: (job: JobRow) => void
  random?: () => number
  /** Stamps the refresh jobs a pass queues. */
  now: () => number
}

export interface ReconcileReport {
  checked: number
  enqueued: string[]
  /** Ids of the jobs this pass queued or joined (a head with no settled version). */
  jobIds: number[]
  errors: { template: string; code: string }[]
  /** Templates whose branch Gitea deleted (a `delete` event) and still does not have. */
  branchDeleted: string[]
  ms: number
}

export class Reconciler {
  readonly #o: ReconcilerOptions
  #timer: NodeJS.Timeout | null = null
  #running: Promise<ReconcileReport> | null = null
  #abort = new AbortController()
  #warnedOff = false

  constructor(options: ReconcilerOptions) {
    this.#o = options
  }

  /** Runs once now, then on every interval. */
  start(): void {
    this.#abort = new AbortController()
    void this.runOnce()
      .catch(() => {})
      .finally(() => this.#schedule())
  }

  #schedule(): void {
    if (this.#abort.signal.aborted) return
    const jitter = this.#o.jitter ?? 0.1
    const random = this.#o.random ?? Math.random
    const delay = Math.round(this.#o.intervalMs * (1 + jitter * (2 * random() - 1)))
    this.#timer = setTimeout(() => {
      void this.runOnce()
        .catch(() => {})
        .finally(() => this.#schedule())
    }, delay)
    this.#timer.unref()
  }

  async stop(): Promise<void> {
    this.#abort.abort(new Error('stopping'))
    if (this.#timer) clearTimeout(this.#timer)
    await this.#running?.catch(() => {})
  }

  /** One pass over every tracked template; concurrent calls share the pass in flight. */
  runOnce(): Promise<ReconcileReport> {
    this.#running ??= this.#pass().finally(() => {
      this.#running = null
    })
    return this.#running
  }

  async #pass(): Promise<ReconcileReport> {
    const { index, gitea, logger } = this.#o
    const started = performance.now()
    const report: ReconcileReport = {
      checked: 0,
      enqueued: [],
      jobIds: [],
      errors: [],
      branchDeleted: [],
      ms: 0,
    }
    if (!gitea) {
      if (!this.#warnedOff)
        logger.warn(
          'reconcile: fetching is off (no GITEA_BASE_URL/GITEA_TOKEN); serving what is stored',
        )
      this.#warnedOff = true
      return report
    }
    const templates = index.templates.all().filter((t) => t.removedAt === null && t.repo && t.ref)
    const signal = this.#abort.signal
    let next = 0
    const worker = async () => {
      while (next < templates.length && !signal.aborted) {
        const t = templates[next++]!
        try {
          // A manifest commit pin is the head to hold: no branch lookup.
          const head = commitPin(t) ?? (await gitea.branchHead(t.repo!, t.ref!, signal))
          report.checked++
          // The branch exists (again): a recorded deletion no longer holds.
          index.branches.clear(t.name)
          const v = index.versions.byCommit(t.name, head)
          const settled =
            v !== null &&
            (v.status === 'rejected' || (v.status === 'ready' && t.currentVersionId === v.id))
          if (!settled) {
            const { job, created } = index.jobs.enqueue(
              { template: t.name, trigger: 'reconcile' },
              this.#o.now(),
            )
            if (created) report.enqueued.push(t.name)
            report.jobIds.push(job.id)
            this.#o.onEnqueued?.(job)
          }
        } catch (err) {
          if (signal.aborted) break
          const code = (err as { code?: string }).code ?? 'INTERNAL'
          // A deleted branch is not found, as expected: the last good bundle keeps serving.
          if (code === 'GITEA_NOT_FOUND' && index.branches.deleted(t.name)) {
            report.branchDeleted.push(t.name)
            continue
          }
          report.errors.push({ template: t.name, code })
          logger.warn(
            { template: t.name, code, error: (err as Error).message },
            'reconcile: branch lookup failed',
          )
        }
      }
    }
    await Promise.all(
      Array.from({ length: Math.min(this.#o.concurrency ?? 4, templates.length) }, worker),
    )
    report.ms = Math.round(performance.now() - started)
    logger.info(
      {
        checked: report.checked,
        enqueued: report.enqueued.length,
        errors: report.errors.length,
        ms: report.ms,
      },
      'reconcile pass',
    )
    return report
  }
}
