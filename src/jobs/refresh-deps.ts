// What the refresh job runs with (jobs/refresh.ts), shared with its download step (download.ts).
import type { Attester } from '../attest/sign.js'
import type { BundleLimits } from '../bundle/index.js'
import type { Index, TemplateRow } from '../db/index.js'
import type { GiteaClient } from '../gitea/client.js'
import type { Logger } from '../log.js'
import type { Metrics } from '../metrics.js'
import type { Verdict } from '../statuses/describe.js'
import type { ContentStore } from '../store/index.js'

export interface RefreshDeps {
  index: Index
  store: ContentStore
  gitea: GiteaClient | null
  spoolDir: string
  limits?: Partial<BundleLimits>
  /** GITEA_ARCHIVE_PREFIX (default true). */
  archivePrefix?: boolean
  logger: Logger
  now: () => number
  onDownload?: (template: string, commit: string) => void
  metrics?: Pick<Metrics, 'jobPhaseSeconds' | 'archiveBytesDownloaded'>
  /** Each verdict on a commit, and the start of its fetch (commit statuses). Must not throw. */
  onVerdict?: (template: TemplateRow, commit: string, verdict: Verdict) => void
  /** Signs every version that becomes ready (ASSET_CACHE_SIGNING_KEY). */
  attester?: Attester | null
}
