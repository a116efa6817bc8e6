// Scheduled GC: runs every interval, never two at once, survives a failing run, stops cleanly.
import { describe, expect, it } from 'vitest'
import type { GcReport } from '../../src/cache/gc.js'
import { scheduleGc } from '../../src/jobs/gc-schedule.js'
import { silentLogger } from '../../src/log.js'
import { until } from '../support/wait.js'

const empty: GcReport = {
  dryRun: false,
  budgetBytes: 0,
  keepVersions: 3,
  before: { bundles: 0, bytes: 0 },
  after: { bundles: 0, bytes: 0 },
  protected: 0,
  removed: [],
  freedBytes: 0,
  overBudget: false,
  steps: [],
}

describe('scheduleGc', () => {
  it('runs on its interval without overlapping, and keeps going after a failure', async () => {
    let running = 0
    let maxRunning = 0
    let runs = 0
    const schedule = scheduleGc({
      intervalMs: 10,
      logger: silentLogger,
      run: async () => {
        runs++
        running++
        maxRunning = Math.max(maxRunning, running)
        await new Promise((r) => setTimeout(r, 35)) // longer than the interval
        running--
        if (runs === 1) throw new Error('disk hiccup')
        return empty
      },
    })
    await until(() => runs >= 3, { timeoutMs: 5_000, everyMs: 5 })
    await schedule.stop()
    const stoppedAt = runs
    expect(maxRunning).toBe(1)
    expect(running).toBe(0) // stop() waited for the run in progress
    await new Promise((r) => setTimeout(r, 50))
    expect(runs).toBe(stoppedAt)
  })
})
