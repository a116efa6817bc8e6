// Read models of the service's own state for admins, shared by the admin API and the admin UI:
// the job queue and the store's usage against its budget.
import { type AdminReadDeps, type JobView, jobView } from './views.js'

export interface QueueView {
  depth: { queued: number; running: number }
  queued: JobView[]
  running: JobView[]
  failed: JobView[]
  recent: JobView[]
}

export function queueView(deps: AdminReadDeps, limit = 50): QueueView {
  const { jobs } = deps.index
  return {
    depth: jobs.depth(),
    queued: jobs.list({ state: 'queued', limit }).map(jobView),
    running: jobs.list({ state: 'running', limit }).map(jobView),
    failed: jobs.list({ state: 'failed', limit }).map(jobView),
    recent: jobs.list({ limit }).map(jobView),
  }
}

export interface StoreView {
  bundles: number
  bytes: number
  budgetBytes: number
  keepVersions: number
  /** bytes / budget, 0..∞ */
  ratio: number
  gcIntervalMs: number | null
}

export function storeView(deps: AdminReadDeps): StoreView {
  const { bundles, bytes } = deps.index.retention.usage()
  const budget = deps.config.storeBudgetBytes
  return {
    bundles,
    bytes,
    budgetBytes: budget,
    keepVersions: deps.config.keepVersions,
    ratio: budget > 0 ? bytes / budget : 0,
    gcIntervalMs: deps.config.gcIntervalMs,
  }
}
