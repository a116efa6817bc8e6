// Garbage collection: evict least-recently-served bundles until the store is under its byte
// budget, never one that retention protects (db/retention.ts). Each eviction detaches the blob
// first, then deletes the row only if the digest is still unprotected inside a write
// transaction, then discards the bytes — or puts them back. An ingest that re-creates the same
// digest meanwhile either finds the row protected (reattached) or re-puts the bytes itself
// (ingest.ts), so a racing ingest or download loses nothing. Steps are named and timed. With
// `deliveries`, GC also prunes webhook delivery records past their retention age or row cap.
import type { Index } from '../db/index.js'
import type { ContentStore } from '../store/index.js'
import type { MaintenanceDeps } from './maintenance-deps.js'
import { type MaintenanceStep, runStep } from './steps.js'

export interface GcOptions {
  /** Evict until the indexed bundles total at most this many bytes. */
  budgetBytes: number
  /** Newest ready versions per template that are never evicted. */
  keepVersions: number
  /** Report what would go; change nothing. */
  dryRun?: boolean
  /** Told after each bundle is gone (the server drops it from its hot cache). */
  onRemoved?: (digest: string) => void
  /** Also prune delivery records (step `deliveries`): older than `retentionMs`, past `maxRows`. */
  deliveries?: { retentionMs: number; maxRows: number }
}

export interface GcRemoved {
  digest: string
  size: number
  lastServedAt: number | null
  createdAt: number
}

export interface GcReport {
  dryRun: boolean
  budgetBytes: number
  keepVersions: number
  before: { bundles: number; bytes: number }
  after: { bundles: number; bytes: number }
  protected: number
  removed: GcRemoved[]
  freedBytes: number
  /** Still over budget because everything left is protected. */
  overBudget: boolean
  steps: MaintenanceStep[]
}

export async function collectGarbage(deps: MaintenanceDeps, options: GcOptions): Promise<GcReport> {
  const { index, store } = deps
  const keep = options.keepVersions
  const dryRun = options.dryRun ?? false
  const before = index.retention.usage()
  const report: GcReport = {
    dryRun,
    budgetBytes: options.budgetBytes,
    keepVersions: keep,
    before,
    after: before,
    protected: 0,
    removed: [],
    freedBytes: 0,
    overBudget: false,
    steps: [],
  }
  const step = (name: string, run: () => Promise<Record<string, number>>) =>
    runStep(report.steps, name, run)

  const chosen: GcRemoved[] = []
  await step('select', async () => {
    report.protected = index.retention.protectedDigests(keep).size
    let bytes = before.bytes
    for (const b of index.retention.candidates(keep)) {
      if (bytes <= options.budgetBytes) break
      chosen.push({
        digest: b.digest,
        size: b.size,
        lastServedAt: b.lastServedAt,
        createdAt: b.createdAt,
      })
      bytes -= b.size
    }
    return { protected: report.protected, candidates: chosen.length }
  })

  if (dryRun) {
    report.removed = chosen
    report.freedBytes = chosen.reduce((n, r) => n + r.size, 0)
  } else {
    await step('evict', async () => {
      let skipped = 0
      for (const r of chosen) {
        const freed = await evictOne(index, store, r.digest, keep)
        if (freed === null) {
          skipped++
          continue
        }
        report.removed.push(r)
        report.freedBytes += r.size
        options.onRemoved?.(r.digest)
      }
      return { removed: report.removed.length, skipped, freedBytes: report.freedBytes }
    })
  }
  const { deliveries } = options
  if (deliveries) {
    await step('deliveries', async () =>
      index.deliveries.prune({
        olderThan: deps.now() - deliveries.retentionMs,
        maxRows: deliveries.maxRows,
        dryRun,
      }),
    )
  }
  const after = dryRun
    ? { bundles: before.bundles - report.removed.length, bytes: before.bytes - report.freedBytes }
    : index.retention.usage()
  report.after = after
  report.overBudget = after.bytes > options.budgetBytes
  return report
}

/**
 * Evicts one bundle; null when it became protected meanwhile (left in place, or put back) or
 * another run removed it first.
 */
async function evictOne(
  index: Index,
  store: ContentStore,
  digest: string,
  keep: number,
): Promise<number | null> {
  // Checked before the detach too, so a digest that just became current or pinned never leaves
  // blobs/ even for a moment; the check inside the transaction is the one that decides.
  if (index.retention.isProtected(digest, keep)) return null
  const detached = await store.detach(digest)
  let decision: 'removed' | 'protected' | 'gone'
  try {
    decision = index.transaction(() => {
      if (index.retention.isProtected(digest, keep)) return 'protected'
      return index.bundles.remove(digest) ? 'removed' : 'gone'
    })
  } catch (err) {
    if (detached) await store.reattach(detached)
    throw err
  }
  // 'gone': a concurrent run deleted the row; these bytes are unindexed, so they go too.
  if (decision === 'protected') {
    if (detached) await store.reattach(detached)
    return null
  }
  const freed = detached ? await store.discard(detached) : 0
  return decision === 'removed' ? freed : null
}

/**
 * Start-up: blobs a stopped GC detached go back when the index still has their row, and are
 * deleted when it does not. Returns the digests of each.
 */
export async function settleDetached(deps: {
  index: Index
  store: ContentStore
}): Promise<{ reattached: string[]; discarded: string[] }> {
  const out = { reattached: [] as string[], discarded: [] as string[] }
  for await (const d of deps.store.detached()) {
    if (deps.index.bundles.get(d.digest)) {
      await deps.store.reattach(d)
      out.reattached.push(d.digest)
    } else {
      await deps.store.discard(d)
      out.discarded.push(d.digest)
    }
  }
  return out
}
