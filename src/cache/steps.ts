// Maintenance (verify, gc) runs as an ordered list of named steps that each return counts and
// are timed (cacache verify.js): one shape for every report, one runner.
import { performance } from 'node:perf_hooks'

export interface MaintenanceStep {
  name: string
  ms: number
  counts: Record<string, number>
}

/** Runs `run`, then appends its counts and duration to `steps` as step `name`. */
export async function runStep(
  steps: MaintenanceStep[],
  name: string,
  run: () => Promise<Record<string, number>>,
): Promise<void> {
  const start = performance.now()
  const counts = await run()
  steps.push({ name, ms: Math.round((performance.now() - start) * 1000) / 1000, counts })
}
