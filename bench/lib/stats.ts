// Order statistics over latency samples.

/** The q-quantile (0..1) by nearest rank; NaN for no samples. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN
  const sorted = [...samples].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[rank]!
}

export const median = (samples: readonly number[]): number => quantile(samples, 0.5)

export const round = (value: number, digits = 2): number => {
  const f = 10 ** digits
  return Math.round(value * f) / f
}

/** The samples of two sides measured in turn: `ours` and the `reference` it is compared with. */
export interface PairedRuns {
  ours: number[]
  reference: number[]
}

/**
 * Runs `measure` `runs + 1` times, in turn for both sides; run 0 warms both paths (JIT, page
 * cache, connections) and is not counted.
 */
export async function pairedRuns(
  runs: number,
  measure: (run: number) => Promise<{ ours: number; reference: number }>,
): Promise<PairedRuns> {
  const out: PairedRuns = { ours: [], reference: [] }
  for (let run = 0; run <= runs; run++) {
    const ms = await measure(run)
    if (run === 0) continue
    out.ours.push(ms.ours)
    out.reference.push(ms.reference)
  }
  return out
}
