// `asset-cache verify`: re-hash every blob, check every indexed bundle is present; non-zero on corruption.
import { verifyAndRepair } from '../cache/verify.js'
import type { Runtime } from '../runtime.js'

export async function verifyCommand(
  rt: Runtime,
  opts: { quarantine?: boolean; json?: boolean },
): Promise<number> {
  const report = await verifyAndRepair(rt, { repair: opts.quarantine ?? false })
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
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
    process.stdout.write(`${report.checked} blobs checked, ${report.corrupt.length} corrupt\n`)
  }
  return report.corrupt.length === 0 ? 0 : 1
}
