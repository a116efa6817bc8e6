// What applying a templates manifest changes in the tracked set. A template is tracked while it
// has a repository and is not removed: the manifest `serve` (or `asset-cache templates sync`)
// last applied named it. Hand-ingested templates (no repository) are never tracked and never
// touched by a manifest that does not name them.
//
// An empty manifest removes nothing unless asked (`allowEmpty`): a manifest that lost its
// entries (a truncated ConfigMap, a template step that rendered nothing) must not take every
// template away from a running fleet.
import type { TemplateSpec } from '../config.js'
import type { TemplateRow } from './template-row.js'

export interface SyncOptions {
  /** Let an empty manifest remove every tracked template. */
  allowEmpty?: boolean
}

export interface SyncPlan {
  /** Names new to the index. */
  added: string[]
  /** Back in the manifest after a removal. */
  restored: string[]
  /** Repository, branch, rules or pin changed (or a hand-ingested template now has a repository). */
  updated: string[]
  unchanged: string[]
  /** Tracked, not in the manifest: marked removed (history and bundles stay). */
  removed: string[]
  /** Tracked templates an empty manifest left alone (allowEmpty not given). */
  kept: string[]
}

const rulesOf = (x: { allow: string[]; require: string[]; pin?: string | null | undefined }) =>
  JSON.stringify({ allow: x.allow, require: x.require, pin: x.pin ?? null })

export const isTracked = (t: TemplateRow): boolean => t.repo !== null && t.removedAt === null

export function planSync(
  rows: TemplateRow[],
  specs: TemplateSpec[],
  options: SyncOptions = {},
): SyncPlan {
  const plan: SyncPlan = {
    added: [],
    restored: [],
    updated: [],
    unchanged: [],
    removed: [],
    kept: [],
  }
  const byName = new Map(rows.map((t) => [t.name, t]))
  const named = new Set(specs.map((s) => s.name))
  for (const s of specs) {
    const t = byName.get(s.name)
    if (!t) plan.added.push(s.name)
    else if (t.removedAt !== null) plan.restored.push(s.name)
    else if (
      t.repo !== s.repo ||
      t.ref !== s.ref ||
      rulesOf({ ...t, pin: t.manifestPin }) !== rulesOf(s)
    )
      plan.updated.push(s.name)
    else plan.unchanged.push(s.name)
  }
  const missing = rows.filter((t) => isTracked(t) && !named.has(t.name)).map((t) => t.name)
  if (specs.length === 0 && !options.allowEmpty) plan.kept = missing
  else plan.removed = missing
  return plan
}
