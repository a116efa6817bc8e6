// Admin actions, shared by the admin API and the admin UI: refresh now, pin, unpin, forget,
// verify, GC.
// Each checks its input against the index and fails with a stable code (AppError), never a
// half-done change.

import { collectGarbage, type GcReport } from '../cache/gc.js'
import type { MaintenanceDeps } from '../cache/maintenance-deps.js'
import { activeTemplate } from '../cache/resolve.js'
import { type VerifyRepairReport, verifyAndRepair } from '../cache/verify.js'
import type { Config } from '../config.js'
import type { Index, JobRow, TemplateRow } from '../db/index.js'
import { digestHex } from '../digest.js'
import { AppError, unknownTemplate } from '../errors.js'
import type { Metrics } from '../metrics.js'

export interface AdminDeps extends MaintenanceDeps {
  config: Config
  onEnqueued?: (job: JobRow) => void
  /** Told when a bundle leaves service (GC or quarantine): the hot cache drops it. */
  onWithdrawn?: (digest: string) => void
  /** GC runs and what they freed are counted here. */
  metrics?: Metrics
}

function knownTemplate(index: Index, name: string) {
  const t = activeTemplate(index, name)
  if (!t) throw unknownTemplate(name)
  return t
}

/** Queues a refresh (a forced one re-fetches even an unchanged head). */
export function refreshTemplate(
  deps: AdminDeps,
  name: string,
  force = false,
): { job: JobRow; created: boolean } {
  const t = knownTemplate(deps.index, name)
  if (!t.repo) {
    throw new AppError('NOT_REFRESHABLE', `template ${name} has no repository to fetch from`)
  }
  const result = deps.index.jobs.enqueue({ template: name, trigger: 'admin', force }, deps.now())
  if (result.created) deps.onEnqueued?.(result.job)
  return result
}

/**
 * The manifest's pin wins over an admin pin on every replica: pinning or unpinning by hand a
 * template the manifest pins would change nothing provisioners get, so it is refused.
 */
function notManifestPinned(t: TemplateRow): void {
  if (t.manifestPin === null) return
  throw new AppError(
    'PINNED_BY_MANIFEST',
    `template ${t.name} is pinned by the templates manifest (pin: ${t.manifestPin}); change the manifest instead`,
  )
}

/**
 * Pins `name` to `digest`: only a ready version of that template whose bundle is still stored.
 * A malformed digest is 400; a digest that is not one of its ready versions (rejected, another
 * template's, unknown) or whose bundle GC removed is 409.
 */
export function pinTemplate(deps: AdminDeps, name: string, digest: string): void {
  const { index } = deps
  if (digestHex(digest) === null) {
    throw new AppError('INVALID_DIGEST', 'expected sha256: followed by 64 lowercase hex digits')
  }
  index.transaction(() => {
    notManifestPinned(knownTemplate(index, name))
    if (!index.versions.readyWithDigest(name, digest)) {
      throw new AppError(
        'NOT_A_READY_VERSION',
        `${digest} is not a ready version of template ${name}`,
      )
    }
    if (!index.bundles.get(digest)) {
      throw new AppError('BUNDLE_EVICTED', `the bundle ${digest} is no longer stored`)
    }
    index.templates.setPin(name, digest, deps.now())
  })
}

export function unpinTemplate(deps: AdminDeps, name: string): void {
  notManifestPinned(knownTemplate(deps.index, name))
  deps.index.templates.setPin(name, null, deps.now())
}

/** What forgetting removed: the template's versions and jobs (its bundles wait for GC). */
export interface ForgetAnswer {
  name: string
  forgotten: true
  versions: number
  jobs: number
}

/**
 * Forgets an untracked template (hand-ingested, or removed from the manifest): its row, versions
 * and jobs go; bundles no other version keeps become GC candidates. A tracked template is 409
 * TEMPLATE_TRACKED: the manifest decides those.
 */
export function forgetTemplate(deps: { index: Index }, name: string): ForgetAnswer {
  const r = deps.index.templates.forget(name)
  switch (r.status) {
    case 'forgotten':
      return { name, forgotten: true, versions: r.versions, jobs: r.jobs }
    case 'unknown':
      throw unknownTemplate(name)
    case 'tracked':
      throw new AppError(
        'TEMPLATE_TRACKED',
        `template ${name} is tracked by the templates manifest: remove it from the manifest (then restart or run asset-cache templates sync) to stop tracking it`,
      )
    case 'busy':
      throw new AppError(
        'TEMPLATE_BUSY',
        `template ${name} has a refresh running; try again when it has finished`,
      )
  }
}

export function verifyStoreNow(deps: AdminDeps): Promise<VerifyRepairReport> {
  return verifyAndRepair(deps, {
    repair: true,
    ...(deps.onEnqueued ? { onEnqueued: deps.onEnqueued } : {}),
    ...(deps.onWithdrawn ? { onWithdrawn: deps.onWithdrawn } : {}),
  })
}

export async function collectGarbageNow(
  deps: AdminDeps,
  options: { budgetBytes?: number; dryRun?: boolean } = {},
): Promise<GcReport> {
  const report = await collectGarbage(deps, {
    budgetBytes: options.budgetBytes ?? deps.config.storeBudgetBytes,
    keepVersions: deps.config.keepVersions,
    dryRun: options.dryRun ?? false,
    deliveries: deps.config.deliveries,
    ...(deps.onWithdrawn ? { onRemoved: deps.onWithdrawn } : {}),
  })
  if (deps.metrics && !report.dryRun) {
    deps.metrics.gcRuns.inc()
    deps.metrics.gcFreedBytes.inc(report.freedBytes)
    deps.metrics.gcRemovedBundles.inc(report.removed.length)
  }
  return report
}
