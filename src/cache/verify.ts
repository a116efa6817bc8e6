// Verify the store against the index: re-hash every blob, find indexed bundles whose bytes are
// gone, and (when repairing) quarantine the corrupt ones and queue a forced refresh of every
// template that serves one, so it is fetched again from Gitea. Shared by `asset-cache verify`
// and POST /v1/admin/verify.
import type { Index, JobRow } from '../db/index.js'
import { templatesServing } from '../db/serving.js'
import type { VerifyReport } from '../store/index.js'
import type { MaintenanceDeps } from './maintenance-deps.js'

export interface VerifyRepairOptions {
  /** Quarantine corrupt blobs and re-queue their templates. */
  repair: boolean
  onEnqueued?: (job: JobRow) => void
  /** Told for each digest withdrawn from service (the server drops it from its hot cache). */
  onWithdrawn?: (digest: string) => void
}

export interface VerifyRepairReport extends VerifyReport {
  /** Templates queued for a forced refresh because their bundle was corrupt or missing. */
  requeued: string[]
}

export async function verifyAndRepair(
  deps: MaintenanceDeps,
  options: VerifyRepairOptions,
): Promise<VerifyRepairReport> {
  const { index, store } = deps
  const bundles = index.bundles.all()
  const expectedSizes = new Map(bundles.map((b) => [b.digest, b.size]))
  const report = await store.verify({ expectedSizes, quarantine: options.repair })
  // Indexed bundles absent from the store come back as ENOTFOUND among the corrupt ones.
  const corrupt = new Set(report.corrupt.map((c) => c.digest))
  const now = deps.now()
  for (const b of bundles) if (!corrupt.has(b.digest)) index.bundles.markVerified(b.digest, now)
  const requeued = new Set<string>()
  if (options.repair) {
    for (const digest of corrupt) {
      options.onWithdrawn?.(digest)
      for (const t of requeueServing(index, digest, now, options.onEnqueued)) requeued.add(t)
    }
  }
  return { ...report, requeued: [...requeued].sort() }
}

/** Queues a forced refresh of every active template serving `digest`; returns their names. */
export function requeueServing(
  index: Index,
  digest: string,
  now: number,
  onEnqueued?: (job: JobRow) => void,
): string[] {
  const names = templatesServing(index, digest)
  for (const template of names) {
    const { job, created } = index.jobs.enqueue({ template, trigger: 'admin', force: true }, now)
    if (created) onEnqueued?.(job)
  }
  return names
}
