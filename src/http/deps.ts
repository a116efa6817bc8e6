// appDeps(input): the one place an app's state is made. `serve` makes it once and hands the same
// object to the fast path, the app and GC, so a bundle GC evicts also leaves the hot cache.
import type { AdminDeps } from '../admin/actions.js'
import { ResolvedViews } from '../cache/resolve.js'
import { AcceptedTokens } from '../config/read-tokens.js'
import { createMetrics } from '../metrics.js'
import { RepositoryViews } from '../oci/repository-views.js'
import type { AppDeps, AppInput } from './env.js'
import { BundleServing } from './fast-path/hot-cache.js'
import { AdminAttempts } from './middleware/admin-attempts.js'
import { BodyBudget, WEBHOOK_BUDGET_MIN_BYTES } from './middleware/body-budget.js'

export function appDeps(input: AppInput): AppDeps {
  const { now } = input
  return {
    ...input,
    metrics: input.metrics ?? createMetrics(),
    state: {
      serving: new BundleServing(input.index, input.logger, now),
      readTokens: new AcceptedTokens(input.config.readTokens),
      views: new ResolvedViews(input.index),
      ociViews: new RepositoryViews(input.index, input.config.oci),
      adminAttempts: new AdminAttempts(now),
      adminSessions: new Map(),
      webhookBodies: new BodyBudget(WEBHOOK_BUDGET_MIN_BYTES, input.config.webhookMaxBodyBytes),
    },
  }
}

/** Admin dependencies of an app: a bundle leaving service also leaves the hot cache. */
export function adminDeps(deps: AppDeps): AdminDeps {
  return {
    config: deps.config,
    index: deps.index,
    store: deps.store,
    now: deps.now,
    ...(deps.onEnqueued ? { onEnqueued: deps.onEnqueued } : {}),
    metrics: deps.metrics,
    onWithdrawn: (digest) => deps.state.serving.cache.delete(digest),
  }
}
