// Posts commit statuses to Gitea (POST /api/v1/repos/{owner}/{repo}/statuses/{sha}, which answers
// 201 and needs a token with write:repository; Gitea routers/api/v1/repo/status.go) from the
// queue in the index. Reporting a verdict writes one row and returns: a post never blocks or
// fails an ingest. Rows are posted oldest first with bounded attempts and exponential backoff;
// a restart takes up every row still queued.
import { Agent, request } from 'undici'
import type { Index } from '../db/index.js'
import { giteaMessage } from '../gitea/errors.js'
import { type RetryOptions, retryAfterMs, retryDelay } from '../gitea/retry.js'
import type { Logger } from '../log.js'
import type { Secret } from '../secret.js'
import { describeVerdict, type Verdict, versionPageUrl } from './describe.js'
import type { StatusMetrics } from './metrics.js'

/** `maxAttempts` counts posts per status. */
export interface StatusPosterOptions extends RetryOptions {
  index: Index
  /** GITEA_BASE_URL. */
  baseUrl: URL
  /** GITEA_STATUS_TOKEN: never the read token. */
  token: Secret
  /** ASSET_CACHE_PUBLIC_URL: statuses link to the version's admin page when set. */
  publicUrl: URL | null
  logger: Logger
  now: () => number
  metrics?: StatusMetrics
  /** Settled rows are kept this long for the admin UI, then pruned. */
  retentionMs?: number
  timeoutMs?: number
}

/** Rows posted per look at the queue. */
const BATCH = 16

/** Gitea's answers worth another try: it may be down, restarting or rate limiting. */
const retryable = (status: number) => status >= 500 || status === 408 || status === 429

export class StatusPoster {
  readonly #o: Required<Omit<StatusPosterOptions, 'metrics' | 'publicUrl'>> &
    Pick<StatusPosterOptions, 'metrics' | 'publicUrl'>
  readonly #agent: Agent
  #timer: NodeJS.Timeout | null = null
  #draining: Promise<void> | null = null
  #again = false
  #stopped = true

  constructor(options: StatusPosterOptions) {
    this.#o = {
      maxAttempts: 6,
      backoffBaseMs: 2_000,
      backoffMaxMs: 5 * 60_000,
      retentionMs: 30 * 24 * 3600_000,
      timeoutMs: 10_000,
      random: Math.random,
      ...options,
    }
    this.#agent = new Agent({
      connect: { timeout: this.#o.timeoutMs },
      headersTimeout: this.#o.timeoutMs,
      bodyTimeout: this.#o.timeoutMs,
    })
  }

  /**
   * Queues the status of `verdict` on `commit` of a template and wakes the poster. Never throws:
   * a status that cannot even be queued is logged and counted, and the ingest goes on.
   */
  report(template: { name: string; repo: string | null }, commit: string, verdict: Verdict): void {
    if (!template.repo) return
    try {
      const { index } = this.#o
      const status = describeVerdict(template.name, verdict)
      const version =
        verdict.kind === 'started' ? null : index.versions.byCommit(template.name, commit)
      const targetUrl = this.#o.publicUrl
        ? versionPageUrl(this.#o.publicUrl, template.name, version?.id ?? null)
        : null
      index.commitStatuses.enqueue(
        { template: template.name, repo: template.repo, commit, ...status, targetUrl },
        this.#o.now(),
      )
      this.notify()
    } catch (err) {
      this.#o.metrics?.posts.inc({ result: 'failed' })
      this.#o.logger.warn({ err, template: template.name, commit }, 'commit status not queued')
    }
  }

  start(): void {
    this.#stopped = false
    this.notify()
  }

  /** Looks at the queue now (or right after the drain under way). */
  notify(): void {
    if (this.#stopped) return
    if (this.#draining) {
      this.#again = true
      return
    }
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    this.#draining = this.#drain().finally(() => {
      this.#draining = null
      if (this.#again) {
        this.#again = false
        this.notify()
      } else this.#schedule()
    })
  }

  /** Resolves once nothing is being posted; queued rows stay for the next start. */
  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    await this.#draining
    await this.#agent.close()
  }

  #schedule(): void {
    if (this.#stopped) return
    const { nextAt } = this.#o.index.commitStatuses.queued()
    if (nextAt === null) return
    this.#timer = setTimeout(
      () => {
        this.#timer = null
        this.notify()
      },
      Math.max(0, nextAt - this.#o.now()),
    )
    this.#timer.unref()
  }

  async #drain(): Promise<void> {
    const { index, now } = this.#o
    try {
      index.commitStatuses.prune(now() - this.#o.retentionMs)
      for (;;) {
        const rows = index.commitStatuses.due(now(), BATCH)
        for (const row of rows) {
          if (this.#stopped) return
          await this.#post(row)
        }
        if (rows.length < BATCH) return
      }
    } catch (err) {
      this.#o.logger.error({ err }, 'commit status queue failed')
    }
  }

  async #post(row: ReturnType<Index['commitStatuses']['due']>[number]): Promise<void> {
    const { index, now, logger, metrics } = this.#o
    const [owner, name] = row.repo.split('/')
    const path = `/api/v1/repos/${encodeURIComponent(owner!)}/${encodeURIComponent(name!)}/statuses/${row.commit}`
    const url = new URL(this.#o.baseUrl.pathname.replace(/\/$/, '') + path, this.#o.baseUrl)
    const body = JSON.stringify({
      state: row.state,
      context: row.context,
      description: row.description,
      ...(row.targetUrl ? { target_url: row.targetUrl } : {}),
    })
    let status: number | null = null
    let error: string | null = null
    let wait: number | null = null
    try {
      const res = await request(url, {
        method: 'POST',
        dispatcher: this.#agent,
        headers: {
          authorization: `token ${this.#o.token.reveal()}`,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body,
      })
      status = res.statusCode
      const text = await res.body.text().catch(() => '')
      if (status === 200 || status === 201) {
        index.commitStatuses.settle(row.id, 'posted', status, null, now())
        metrics?.posts.inc({ result: 'posted' })
        return
      }
      error = `HTTP ${status}${giteaMessage(text)}`
      wait = retryable(status) ? retryAfterMs(res.headers['retry-after'], now()) : null
      if (!retryable(status)) {
        this.#fail(row, status, error)
        return
      }
    } catch (err) {
      error = (err as { code?: string }).code ?? 'network error'
    }
    if (row.attempts + 1 >= this.#o.maxAttempts) {
      this.#fail(row, status, error)
      return
    }
    const delay = Math.max(
      retryDelay(row.attempts + 1, this.#o),
      Math.min(wait ?? 0, this.#o.backoffMaxMs),
    )
    index.commitStatuses.retry(row.id, now() + delay, status, error, now())
    metrics?.posts.inc({ result: 'retried' })
    logger.info(
      { template: row.template, commit: row.commit, status, error, retryInMs: delay },
      'commit status post failed; will retry',
    )
  }

  #fail(
    row: { id: number; template: string; commit: string },
    status: number | null,
    error: string | null,
  ) {
    this.#o.index.commitStatuses.settle(row.id, 'failed', status, error, this.#o.now())
    this.#o.metrics?.posts.inc({ result: 'failed' })
    this.#o.logger.warn(
      { template: row.template, commit: row.commit, status, error },
      'commit status not posted',
    )
  }
}
