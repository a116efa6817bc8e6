// What a template name resolves to for provisioners: the pinned digest when one is set, else the
// current ready version. Shared by the template routes, the bundle scope check and the
// corrupt-blob handler.
import type { Index, TemplateRow, VersionRow } from '../db/index.js'

export interface Resolved {
  template: TemplateRow
  /** Null while nothing is ready yet. */
  digest: string | null
  /** The version behind the digest (for a pin: the newest version with that digest), if any. */
  version: VersionRow | null
  pinned: boolean
}

export function resolveTemplate(index: Index, template: TemplateRow): Resolved {
  if (template.pinnedDigest) {
    const digest = template.pinnedDigest
    const version =
      index.versions.list(template.name).find((v) => v.digest === digest && v.status === 'ready') ??
      null
    return { template, digest, version, pinned: true }
  }
  const current =
    template.currentVersionId === null ? null : index.versions.get(template.currentVersionId)
  const ready = current && current.status === 'ready' && current.digest ? current : null
  return { template, digest: ready?.digest ?? null, version: ready, pinned: false }
}

/** Active (not removed from the manifest) template by name, or null. */
export function activeTemplate(index: Index, name: string): TemplateRow | null {
  const t = index.templates.get(name)
  return t && t.removedAt === null ? t : null
}

/** Names of active templates whose current or pinned digest is `digest`. */
export function templatesServing(index: Index, digest: string): string[] {
  const names: string[] = []
  for (const t of index.templates.all()) {
    if (t.removedAt !== null) continue
    const current = t.currentVersionId === null ? null : index.versions.get(t.currentVersionId)
    if (t.pinnedDigest === digest || current?.digest === digest) names.push(t.name)
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
    if (t.pinnedDigest === digest) return true
    if (index.versions.list(name).some((v) => v.status === 'ready' && v.digest === digest))
      return true
  }
  return false
}
