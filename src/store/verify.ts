// verify: re-hash every blob as an ordered list of named, timed steps (cacache verify.js style).

import { type MaintenanceStep, runStep } from '../cache/steps.js'
import { digestOf } from '../digest.js'
import { hashFile, isErrno } from './fs-util.js'
import { listBlobs } from './list.js'
import { blobHex, blobPath } from './paths.js'
import { statBlob } from './read.js'
import { quarantineBlob } from './remove.js'
import { sweepTemp } from './temp.js'

export interface CorruptBlob {
  digest: string
  path: string
  /** ENOTFOUND: the index expects a blob the store does not have (expected size, found 'absent'). */
  code: 'EINTEGRITY' | 'EBADSIZE' | 'ENOTFOUND'
  expected: string | number
  found: string | number
}

export interface VerifyReport {
  steps: MaintenanceStep[]
  /** Blobs re-hashed. */
  checked: number
  corrupt: CorruptBlob[]
  /** Bytes re-hashed. */
  bytes: number
  /** Digests moved to quarantine/ by this run. */
  quarantined: string[]
}

export interface VerifyOptions {
  /** digest → size the index recorded; a blob of another size is EBADSIZE, a missing one ENOTFOUND. */
  expectedSizes?: Map<string, number>
  /** Move corrupt blobs to quarantine/ so they are never served again. */
  quarantine?: boolean
}

type Step = [name: string, run: () => Promise<Record<string, number>>]

/** One run's state, shared by its steps: what the index expects, what the walk saw, the report. */
interface Run {
  dir: string
  expectedSizes: Map<string, number>
  seen: Set<string>
  report: VerifyReport
}

export async function verifyStore(dir: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const expectedSizes = options.expectedSizes ?? new Map<string, number>()
  for (const digest of expectedSizes.keys()) blobHex(digest)
  const report: VerifyReport = { steps: [], checked: 0, corrupt: [], bytes: 0, quarantined: [] }
  const run: Run = { dir, expectedSizes, seen: new Set<string>(), report }

  const steps: Step[] = [
    // Safe beside live puts: only temp files of dead processes go (see temp.ts).
    ['cleanTmp', async () => ({ removed: await sweepTemp(dir) })],
    ['verifyContent', () => verifyContent(run)],
    ['checkExpected', () => checkExpected(run)],
  ]
  if (options.quarantine) steps.push(['quarantineCorrupt', () => quarantineCorrupt(dir, report)])

  for (const [name, step] of steps) await runStep(report.steps, name, step)
  return report
}

async function verifyContent({
  dir,
  expectedSizes,
  seen,
  report,
}: Run): Promise<Record<string, number>> {
  let corrupt = 0
  for await (const { digest } of listBlobs(dir)) {
    const hex = blobHex(digest)
    const path = blobPath(dir, hex)
    const found = await hashFile(path).catch((err: unknown) => {
      if (isErrno(err, 'ENOENT')) return null // removed since the walk listed it
      throw err
    })
    if (found === null) continue
    seen.add(digest)
    report.checked++
    report.bytes += found.size
    const expectedSize = expectedSizes.get(digest)
    let bad: CorruptBlob | undefined
    if (expectedSize !== undefined && found.size !== expectedSize) {
      bad = { digest, path, code: 'EBADSIZE', expected: expectedSize, found: found.size }
    } else if (found.hex !== hex) {
      bad = { digest, path, code: 'EINTEGRITY', expected: digest, found: digestOf(found.hex) }
    }
    if (bad) {
      report.corrupt.push(bad)
      corrupt++
    }
  }
  return { checked: report.checked, valid: report.checked - corrupt, corrupt, bytes: report.bytes }
}

async function checkExpected({
  dir,
  expectedSizes,
  seen,
  report,
}: Run): Promise<Record<string, number>> {
  let missing = 0
  for (const [digest, size] of expectedSizes) {
    if (seen.has(digest)) continue
    const path = blobPath(dir, blobHex(digest))
    // Present now means it was put after the walk passed its directory: not missing.
    if ((await statBlob(path)) !== null) continue
    report.corrupt.push({ digest, path, code: 'ENOTFOUND', expected: size, found: 'absent' })
    missing++
  }
  return { expected: expectedSizes.size, missing }
}

async function quarantineCorrupt(
  dir: string,
  report: VerifyReport,
): Promise<Record<string, number>> {
  for (const { digest, code } of report.corrupt) {
    if (code === 'ENOTFOUND') continue
    if (await quarantineBlob(dir, blobHex(digest))) report.quarantined.push(digest)
  }
  return { quarantined: report.quarantined.length }
}
