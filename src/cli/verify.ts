// `asset-cache verify`: re-hash every blob, check every indexed bundle is present; non-zero on corruption.
import type { Runtime } from '../runtime.js'

export async function verifyCommand(
  rt: Runtime,
  opts: { quarantine?: boolean; json?: boolean },
): Promise<number> {
  const bundles = rt.index.bundles.all()
  const expectedSizes = new Map(bundles.map((b) => [b.digest, b.size]))
  const report = await rt.store.verify({ expectedSizes, quarantine: opts.quarantine ?? false })
  const corrupt = new Set(report.corrupt.map((c) => c.digest))
  const missing: string[] = []
  for (const b of bundles) {
    if (corrupt.has(b.digest)) continue
    if (await rt.store.has(b.digest)) rt.index.bundles.markVerified(b.digest)
    else missing.push(b.digest)
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ ...report, missing }, null, 2)}\n`)
  } else {
    for (const step of report.steps) {
      const counts = Object.entries(step.counts)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')
      process.stdout.write(`${step.name.padEnd(16)} ${String(step.ms).padStart(6)} ms  ${counts}\n`)
    }
    for (const c of report.corrupt) {
      process.stdout.write(
        `corrupt ${c.digest} ${c.code} expected=${c.expected} found=${c.found}\n`,
      )
    }
    for (const d of missing) process.stdout.write(`missing ${d} (indexed, not in the store)\n`)
    process.stdout.write(
      `${report.checked} blobs checked, ${report.corrupt.length} corrupt, ${missing.length} missing\n`,
    )
  }
  return report.corrupt.length + missing.length === 0 ? 0 : 1
}
