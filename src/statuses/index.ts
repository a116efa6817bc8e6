// Commit statuses: each verdict on a commit reported back to Gitea (docs/operations.md).
import type { Config } from '../config.js'
import type { Index } from '../db/index.js'
import type { Logger } from '../log.js'
import type { Metrics } from '../metrics.js'
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
  config: Config,
  index: Index,
  logger: Logger,
  metrics: Metrics,
): StatusPoster | null {
  if (!config.statusToken || !config.gitea) return null
  return new StatusPoster({
    index,
    baseUrl: config.gitea.baseUrl,
    token: config.statusToken,
    publicUrl: config.publicUrl,
    logger: logger.child({ component: 'statuses' }),
    metrics: metrics.statuses,
    retentionMs: config.deliveries.retentionMs,
  })
}
