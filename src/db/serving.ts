// Index reads about who serves a digest, shared by the bundle routes, the hot listener and verify.
import type { Index } from './index.js'

/** Names of active templates whose current or pinned (by an admin or the manifest) digest is `digest`. */
export function templatesServing(index: Index, digest: string): string[] {
  const names: string[] = []
  for (const t of index.templates.all()) {
    if (t.removedAt !== null) continue
    const current = t.currentVersionId === null ? null : index.versions.get(t.currentVersionId)
    const pinned = t.pinnedDigest === digest || t.manifestPin === digest
    if (pinned || current?.digest === digest) names.push(t.name)
  }
  return names
}

/**
 * Whether a scoped token may read the bundle `digest`: it must be the pinned digest or the digest
 * of any ready version (current or past) of a template in scope. Old versions stay readable so a
 * provisioner mid-download across a refresh is not cut off.
 */
export function digestInScope(index: Index, scope: string[], digest: string): boolean {
  for (const name of scope) {
    const t = index.templates.get(name)
    if (!t || t.removedAt !== null) continue
    if (t.pinnedDigest === digest || t.manifestPin === digest) return true
    if (index.versions.readyWithDigest(name, digest)) return true
  }
  return false
}
