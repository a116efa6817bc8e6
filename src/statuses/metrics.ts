// Metrics of the commit status poster: posts by result, and the queue read at scrape time.
import { Counter, Gauge, type Registry } from 'prom-client'
import type { Index } from '../db/index.js'

/**
 * posted: Gitea answered 201; retried: a post failed and will be tried again (Gitea down, 5xx,
 * 429); failed: left for good (a refusal such as 403 for a token without write access, or the
 * attempts used up).
 */
export type StatusPostResult = 'posted' | 'retried' | 'failed'

export interface StatusMetrics {
  readonly posts: Counter<'result'>
}

/** Registers the poster's metrics; `index` is read at scrape time (null: nothing to report). */
export function createStatusMetrics(registry: Registry, index: () => Index | null): StatusMetrics {
  new Gauge({
    name: 'asset_cache_commit_statuses_queued',
    help: 'Commit statuses waiting to be posted to Gitea.',
    registers: [registry],
    collect() {
      const open = index()
      if (open) this.set(open.commitStatuses.queued().count)
    },
  })
  return {
    posts: new Counter({
      name: 'asset_cache_commit_status_posts_total',
      help: 'Commit status posts to Gitea by result (posted, retried, failed).',
      labelNames: ['result'],
      registers: [registry],
    }),
  }
}
