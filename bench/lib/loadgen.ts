// Runs bench/loadgen.ts as a child process, so its timers never share an event loop with the bench.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { LoadResult, LoadSpec } from '../loadgen.js'
import { ROOT } from './server.js'

const run = promisify(execFile)

export type { LoadResult, LoadSpec }

export async function openLoop(spec: LoadSpec): Promise<LoadResult> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'bench/loadgen.ts'), JSON.stringify(spec)],
    { cwd: ROOT, timeout: spec.warmupMs + spec.durationMs + 60_000, maxBuffer: 1 << 20 },
  )
  const line = stdout.trim().split('\n').at(-1) ?? ''
  return JSON.parse(line) as LoadResult
}
