// `asset-cache gc [--dry-run] [--budget SIZE]`: garbage-collect the store in ASSET_CACHE_DATA_DIR.
// Safe beside a running server (see maintenance/gc.ts); its hot cache may keep serving a removed
// bundle's verified bytes from memory until they age out.
import { collectGarbage } from '../cache/gc.js'
import type { Runtime } from '../runtime.js'
import { formatBytes } from '../units.js'
import { shortDigest, table } from './format.js'

export async function gcCommand(
  rt: Runtime,
  opts: { dryRun?: boolean; budget?: number; json?: boolean },
): Promise<number> {
  const report = await collectGarbage(rt, {
    budgetBytes: opts.budget ?? rt.config.storeBudgetBytes,
    keepVersions: rt.config.keepVersions,
    dryRun: opts.dryRun ?? false,
  })
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
    return 0
  }
  if (report.removed.length > 0) {
    const rows = [['DIGEST', 'SIZE', 'LAST SERVED']]
    for (const r of report.removed) {
      rows.push([
        shortDigest(r.digest),
        formatBytes(r.size),
        r.lastServedAt ? new Date(r.lastServedAt).toISOString() : 'never',
      ])
    }
    process.stdout.write(`${table(rows)}\n`)
  }
  const verb = report.dryRun ? 'would remove' : 'removed'
  process.stdout.write(
    `${verb} ${report.removed.length} bundle(s), ${formatBytes(report.freedBytes)}; ` +
      `store ${formatBytes(report.after.bytes)} of ${formatBytes(report.budgetBytes)} budget` +
      `${report.overBudget ? ' (still over budget: the rest is current, pinned or among the newest versions)' : ''}\n`,
  )
  return 0
}
