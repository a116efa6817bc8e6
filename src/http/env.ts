// AppDeps / AppEnv: what every handler and middleware receives. Imports no route, so the
// app, its routes and its middleware all depend on this file and never on each other's.
// AppDeps is made once per app by appDeps() (deps.ts): the state it carries (caches, sessions,
// attempts) lives in these objects, never in module-level maps keyed by identity.
import type { ResolvedViews } from '../cache/resolve.js'
import type { AcceptedTokens } from '../config/read-tokens.js'
import type { Config } from '../config.js'
import type { Index, JobRow } from '../db/index.js'
import type { Logger } from '../log.js'
import type { Metrics } from '../metrics.js'
import type { RepositoryViews } from '../oci/repository-views.js'
import type { Peers } from '../peers/index.js'
import type { ContentStore } from '../store/index.js'
import type { AdminSession } from './admin-ui/session-store.js'
import type { BundleServing } from './fast-path/hot-cache.js'
import type { AdminAttempts } from './middleware/admin-attempts.js'
import type { BodyBudget } from './middleware/body-budget.js'

/** What an app is made from: appDeps() adds the metrics' default and the app's state. */
export interface AppInput {
  config: Config
  index: Index
  store: ContentStore
  logger: Logger
  /** Called after a job is queued (wakes the worker pool). */
  onEnqueued?: (job: JobRow) => void
  /** The clock (tests move it). */
  now: () => number
  /** Prometheus metrics; default a fresh registry. */
  metrics?: Metrics
  /** ASSET_CACHE_PEERS: delivery fan-out and peer fill; absent or null without peers. */
  peers?: Peers | null
  /** Start-up convergence for /readyz (jobs/convergence.ts); absent = nothing to wait for. */
  convergence?: { converged(): boolean; detail(): Record<string, unknown> }
}

/** An app's in-memory state, made once with it. */
export interface AppState {
  /** The hot bundle cache and served marks, shared by the fast path, the app and GC. */
  serving: BundleServing
  /** The read tokens, with the header values already matched. */
  readTokens: AcceptedTokens
  /** Resolved templates, kept until the index changes. */
  views: ResolvedViews
  /** Each template's OCI repository view. */
  ociViews: RepositoryViews
  /** Failed admin-token attempts per client address. */
  adminAttempts: AdminAttempts
  /** Admin UI sessions by id. */
  adminSessions: Map<string, AdminSession>
  /** Webhook body bytes held in memory at once. */
  webhookBodies: BodyBudget
}

export interface AppDeps extends Required<Omit<AppInput, 'onEnqueued' | 'peers' | 'convergence'>> {
  onEnqueued?: (job: JobRow) => void
  peers?: Peers | null
  convergence?: AppInput['convergence']
  state: AppState
}

export interface AppEnv {
  Variables: {
    deps: AppDeps
    /** deps.metrics. */
    metrics: Metrics
    requestId: string
    /** Set by readAuth on /v1: null = every template, otherwise the token's template names. */
    readScope: string[] | null
    /** Set by readAuth: the read is authorized by a signed URL (docs/api.md#signed-bundle-urls). */
    signedUrl?: boolean
  }
}
