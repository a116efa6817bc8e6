// The provisioner client's own names in a workspace: `.asset-cache.json` (what the last pull
// wrote), its temp files and the staging directories, all at the top of DIR and all starting with
// `.asset-cache`. A bundle may not name them: the validator refuses such a kept path at ingest and
// the client refuses it at pull, with this one rule. No dependencies, so the client can import it.
import { foldCase } from './names.js'

/** Prefix of every name the client creates at the top of DIR. */
export const RESERVED_PREFIX = '.asset-cache'
/** DIR/.asset-cache.json: the digest DIR holds, for the next pull's If-None-Match. */
export const STATE_FILE = `${RESERVED_PREFIX}.json`
/** Prefix of the staging directories a pull writes into before renaming (mkdtemp adds the rest). */
export const STAGING_PREFIX = `${RESERVED_PREFIX}-staging-`

/** The temp file the state is written to before its rename. */
export function stateTempName(unique: string): string {
  return `${STATE_FILE}.${unique}.tmp`
}

/**
 * True when `path` names one of the client's files or lies under one: its first segment starts
 * with `.asset-cache` after case folding (`.Asset-Cache.json`, `.aſſet-cache-staging-x/a`).
 */
export function isReservedPath(path: string): boolean {
  const top = path.split('/', 1)[0]!
  return foldCase(top).startsWith(RESERVED_PREFIX)
}
