// Open-loop load generator (run as a child process): requests leave on a fixed timeline whatever
// the server does, and each latency is measured from the request's *scheduled* start, so a stall
// shows up in every request it delayed instead of being hidden (no coordinated omission).
//
// Usage: node --import tsx bench/loadgen.ts '<LoadSpec JSON>'  → prints a LoadResult JSON line.
import { performance } from 'node:perf_hooks'
import { Pool } from 'undici'

export interface LoadSpec {
  url: string
  /** Requests per second. */
  rate: number
  durationMs: number
  /** Leading time whose samples are dropped (connections warm up, JIT settles). */
  warmupMs: number
  connections: number
  headers?: Record<string, string>
}

export interface LoadResult {
  scheduled: number
  completed: number
  errors: number
  /** Status codes other than 200 (counted in errors too). */
  statuses: Record<string, number>
  /** Latencies in ms of the measured (post-warm-up) requests. */
  p50: number
  p90: number
  p99: number
  max: number
  /**
   * p99 of how late the generator itself handed requests to the socket pool (timer granularity,
   * its own GC), and p99 measured from that moment instead of the schedule: the share of p99 the
   * generator causes, shown beside it, never subtracted from it.
   */
  lagP99: number
  sentP99: number
  /** Measured requests per second actually completed. */
  achievedRate: number
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}

async function main(spec: LoadSpec): Promise<LoadResult> {
  const target = new URL(spec.url)
  const pool = new Pool(target.origin, {
    connections: spec.connections,
    pipelining: 1,
    keepAliveTimeout: 30_000,
  })
  const path = `${target.pathname}${target.search}`
  const interval = 1000 / spec.rate
  const total = Math.round((spec.rate * (spec.warmupMs + spec.durationMs)) / 1000)
  const warmupCount = Math.round((spec.rate * spec.warmupMs) / 1000)
  const latencies: number[] = []
  const lags: number[] = []
  const fromSent: number[] = []
  const statuses: Record<string, number> = {}
  let errors = 0
  let completed = 0
  const pending = new Set<Promise<void>>()

  const fire = (index: number, scheduledAt: number) => {
    const firedAt = performance.now()
    const done = pool
      .request({ path, method: 'GET', headers: spec.headers ?? {} })
      .then(async (res) => {
        await res.body.dump()
        const latency = performance.now() - scheduledAt
        completed++
        if (res.statusCode !== 200) {
          errors++
          statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1
        }
        if (index >= warmupCount) {
          latencies.push(latency)
          lags.push(firedAt - scheduledAt)
          fromSent.push(performance.now() - firedAt)
        }
      })
      .catch(() => {
        errors++
      })
      .finally(() => pending.delete(done))
    pending.add(done)
  }

  const start = performance.now() + 20
  let next = 0
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now()
      while (next < total && start + next * interval <= now) {
        fire(next, start + next * interval)
        next++
      }
      if (next >= total) return resolve()
      // Timers fire 1 ms late or more, and that lag would count as latency: within 2 ms of the
      // next request the generator polls with setImmediate (one busy core, I/O still served).
      const wait = start + next * interval - performance.now()
      if (wait > 2) setTimeout(tick, wait - 1.5)
      else setImmediate(tick)
    }
    tick()
  })
  await Promise.all(pending)
  await pool.close()
  for (const xs of [latencies, lags, fromSent]) xs.sort((a, b) => a - b)
  const round = (n: number) => Math.round(n * 1000) / 1000
  return {
    scheduled: total,
    completed,
    errors,
    statuses,
    p50: round(quantile(latencies, 0.5)),
    p90: round(quantile(latencies, 0.9)),
    p99: round(quantile(latencies, 0.99)),
    max: round(latencies.at(-1) ?? Number.NaN),
    lagP99: round(quantile(lags, 0.99)),
    sentP99: round(quantile(fromSent, 0.99)),
    achievedRate: round(latencies.length / (spec.durationMs / 1000)),
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  main(JSON.parse(process.argv[2] ?? '{}') as LoadSpec).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (err: unknown) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`)
      process.exitCode = 1
    },
  )
}
