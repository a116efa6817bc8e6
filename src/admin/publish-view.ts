// A version's publish state (ASSET_CACHE_OCI_PUBLISH) as admins see it: API and UI alike. Only
// the target's `registry/namespace` and a stable code are shown: never a credential, never a
// registry's own text.
import type { Config } from '../config.js'
import type { Index, PublishStatus } from '../db/index.js'

export interface PublishView {
  /** `registry[:port]/namespace`. */
  target: string
  status: PublishStatus
  /** Stable code of the last failure (docs/oci.md#publishing); null unless failed. */
  error: string | null
  attempts: number
  publishedAt: number | null
  /** When a failed version is tried again. */
  nextAttemptAt: number | null
}

/** The publish state of a ready version, or null (publishing off, or not looked at yet). */
export function publishView(
  deps: { config: Pick<Config, 'ociPublish'>; index: Index },
  versionId: number | null,
): PublishView | null {
  const target = deps.config.ociPublish?.target.key
  if (target === undefined || versionId === null) return null
  const state = deps.index.publish.state(versionId, target)
  if (!state) return null
  return {
    target,
    status: state.status,
    error: state.status === 'failed' ? state.error : null,
    attempts: state.attempts,
    publishedAt: state.publishedAt,
    nextAttemptAt: state.status === 'failed' ? state.nextAt : null,
  }
}
