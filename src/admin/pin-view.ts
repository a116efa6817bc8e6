// Which pin a template is held by, for the admin API and UI: the manifest's, or an admin's, which
// with peers configured holds on this replica only.
import { commitPin, type Resolved } from '../cache/resolve.js'
import type { Config } from '../config.js'
import type { TemplateRow } from '../db/index.js'

export interface PinView {
  /** Null: a commit pin whose commit is not fetched yet. */
  digest: string | null
  /** The commit a manifest pin names. */
  commit: string | null
  at: number | null
  by: 'manifest' | 'admin'
  /** An admin pin with peers configured: it holds on this replica only. */
  local: boolean
}

/**
 * The pin in force: the manifest's (every replica obeys it; a commit pin names no digest until
 * that commit is fetched) or the admin's.
 */
export function pinView(
  deps: { config: Pick<Config, 'peers'> },
  t: TemplateRow,
  served: Resolved,
): PinView | null {
  if (served.pinnedBy === 'manifest' && t.manifestPin !== null) {
    return { digest: served.digest, commit: commitPin(t), at: null, by: 'manifest', local: false }
  }
  if (!t.pinnedDigest) return null
  const local = deps.config.peers !== null
  return { digest: t.pinnedDigest, commit: null, at: t.pinnedAt, by: 'admin', local }
}
