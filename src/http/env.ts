// AppDeps / AppEnv: what every handler and middleware receives. Imports no route, so the
// app, its routes and its middleware all depend on this file and never on each other's.
import type { Config } from '../config.js'
import type { Index, JobRow } from '../db/index.js'
import type { Logger } from '../log.js'
import type { Metrics } from '../metrics.js'
import type { ContentStore } from '../store/index.js'

export interface AppDeps {
  config: Config
  index: Index
  store: ContentStore
  logger: Logger
  /** Called after a job is queued (wakes the worker pool). */
  onEnqueued?: (job: JobRow) => void
  now?: () => number
  /** Prometheus metrics; createApp makes its own when absent. */
  metrics?: Metrics
}

export interface AppEnv {
  Variables: {
    deps: AppDeps
    /** deps.metrics, or the app's own. */
    metrics: Metrics
    requestId: string
    /** Set by readAuth on /v1: null = every template, otherwise the token's template names. */
    readScope: string[] | null
    /** Set by readAuth: the read is authorized by a signed URL (docs/api.md#signed-bundle-urls). */
    signedUrl?: boolean
  }
}
