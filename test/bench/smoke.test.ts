// The bench harness end to end in smoke mode (tiny sizes, short durations), as a child process:
// every row must come back with a figure or as skipped. Figures are not asserted — they are
// machine-dependent; `npm run bench` is where they are judged.
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { expect, it } from 'vitest'
import type { Report } from '../../bench/lib/report.js'
import { ROW_IDS } from '../../bench/rows/index.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const run = promisify(execFile)

it('runs every bench row end to end in smoke mode', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'asset-cache-bench-smoke-')), 'smoke.json')
  await run(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'bench/run.ts'), '--smoke', '--json', out],
    // The OCI rows start a docker-registry and copy two images into it with skopeo first.
    { cwd: ROOT, timeout: 170_000, maxBuffer: 16 << 20 },
  ).catch((err: { stdout?: string; stderr?: string; message: string }) => {
    // Exit 1 means a row errored: the assertions below name it; anything else is a harness bug.
    if (!err.stdout?.includes('written:')) throw new Error(`${err.message}\n${err.stderr ?? ''}`)
  })
  const report = JSON.parse(readFileSync(out, 'utf8')) as Report
  expect(report.mode).toBe('smoke')
  expect(report.rows.map((r) => r.id)).toEqual(ROW_IDS)
  for (const row of report.rows) {
    const outcome =
      row.status === 'skipped'
        ? 'skipped'
        : row.status === 'error'
          ? `error: ${row.note}`
          : typeof row.ours === 'number' && Number.isFinite(row.ours)
            ? 'measured'
            : `no figure (${row.status})`
    expect({ id: row.id, outcome }).toEqual({
      id: row.id,
      outcome: row.status === 'skipped' ? 'skipped' : 'measured',
    })
  }
}, 180_000)
