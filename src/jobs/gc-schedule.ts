// Scheduled garbage collection: one run every interval, never two at once, failures logged and
// retried at the next tick. The timer does not keep the process alive.

import type { GcReport } from '../cache/gc.js'
import type { Logger } from '../log.js'

export interface GcSchedule {
  stop(): Promise<void>
}

export function scheduleGc(options: {
  intervalMs: number
  run: () => Promise<GcReport>
  logger: Logger
}): GcSchedule {
  const { logger } = options
  let running: Promise<void> | null = null
  const tick = () => {
    if (running) return
    running = options
      .run()
      .then((r) => {
        const deliveriesRemoved = r.steps.find((s) => s.name === 'deliveries')?.counts.removed ?? 0
        if (r.removed.length > 0 || r.overBudget || deliveriesRemoved > 0) {
          logger.info(
            {
              removed: r.removed.length,
              deliveriesRemoved,
              freedBytes: r.freedBytes,
              bytes: r.after.bytes,
              budgetBytes: r.budgetBytes,
              overBudget: r.overBudget,
            },
            'scheduled gc',
          )
        }
      })
      .catch((err: unknown) => logger.error({ err }, 'scheduled gc failed'))
      .finally(() => {
        running = null
      })
  }
  const timer = setInterval(tick, options.intervalMs)
  timer.unref()
  return {
    async stop() {
      clearInterval(timer)
      await running
    },
  }
}
