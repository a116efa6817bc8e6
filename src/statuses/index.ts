// Commit statuses: each verdict on a commit reported back to Gitea (docs/operations.md).
import type { Logger } from '../log.js'
import type { Metrics } from '../metrics.js'
import type { Runtime } from '../runtime.js'
import { StatusPoster } from './poster.js'

export {
  DESCRIPTION_MAX,
  describeVerdict,
  statusContext,
  type Verdict,
  versionPageUrl,
} from './describe.js'
export { StatusPoster, type StatusPosterOptions } from './poster.js'

/** The poster when GITEA_STATUS_TOKEN and GITEA_BASE_URL are set and fetching is on; else null. */
export function statusPoster(
  rt: Pick<Runtime, 'config' | 'index' | 'now'>,
  logger: Logger,
  metrics: Metrics,
): StatusPoster | null {
  const { config } = rt
  if (!config.statusToken || !config.gitea) return null
  return new StatusPoster({
    index: rt.index,
    now: rt.now,
    baseUrl: config.gitea.baseUrl,
    token: config.statusToken,
    publicUrl: config.publicUrl,
    logger: logger.child({ component: 'statuses' }),
    metrics: metrics.statuses,
    retentionMs: config.deliveries.retentionMs,
  })
}
