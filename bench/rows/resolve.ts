// resolve-p99: GET /v1/templates/{name} at a fixed 1 000 req/s (open loop), p99 against 2 ms, with
// the same generator against nginx serving the same JSON as the reference floor; rounds interleaved,
// the median round reported, with the generator's own lag and the node:http floor beside it.
import type { BenchContext } from '../lib/context.js'
import { AUTH } from '../lib/context.js'
import { type LoadResult, openLoop } from '../lib/loadgen.js'
import { startNodeFloor } from '../lib/node-floor.js'
import type { Row, RowSpec } from '../lib/report.js'
import { round } from '../lib/stats.js'
import { INSTALL_HINT } from '../lib/tools.js'

export const resolveP99: RowSpec = {
  id: 'resolve-p99',
  title: 'resolve GET /v1/templates/{name} p99 @ fixed rate',
  unit: 'ms',
  referenceLabel: 'nginx static JSON',
  target: 'p99 ≤ 2 ms',
}

/** The round with the median p99. */
function medianRound(rounds: LoadResult[]): LoadResult {
  const sorted = [...rounds].sort((a, b) => a.p99 - b.p99)
  return sorted[Math.floor((sorted.length - 1) / 2)]!
}

export async function resolveRow(ctx: BenchContext): Promise<Row> {
  const { server } = await ctx.main()
  const { sizes } = ctx
  const spec = {
    rate: sizes.resolveRate,
    durationMs: sizes.resolveMs,
    warmupMs: sizes.resolveWarmMs,
    connections: 16,
    headers: AUTH,
  }
  const nginx = ctx.tools.nginx ? await ctx.reference() : null
  const oursUrl = `${server.url}/v1/templates/small`
  const floor = await startNodeFloor(oursUrl, AUTH, ctx.dir)
  const rounds: Record<'ours' | 'reference' | 'node', LoadResult[]> = {
    ours: [],
    reference: [],
    node: [],
  }
  try {
    for (let r = 0; r < sizes.resolveRounds; r++) {
      // Interleaved, so that a noisy minute on the shared machine hits every side.
      rounds.ours.push(await openLoop({ ...spec, url: oursUrl }))
      if (nginx) {
        const url = `${nginx.nginx.url}${nginx.paths.resolve}`
        rounds.reference.push(await openLoop({ ...spec, url }))
      }
      rounds.node.push(await openLoop({ ...spec, url: floor.url }))
    }
  } finally {
    await floor.close()
  }
  const ours = medianRound(rounds.ours)
  const reference = nginx ? medianRound(rounds.reference) : null
  const node = medianRound(rounds.node)
  const errors = rounds.ours.reduce((n, r) => n + r.errors, 0)
  const generator = (r: LoadResult) => `lag p99 ${r.lagP99} ms, p99 from send ${r.sentP99} ms`
  let note = `generator (ours): ${generator(ours)}`
  if (reference) note += `; (nginx): ${generator(reference)}`
  else note += `; reference skipped: ${INSTALL_HINT}`
  note += `; node:http floor (same JSON and headers) p99 ${node.p99} ms`
  if (errors > 0) {
    const statuses = rounds.ours.map((r) => r.statuses)
    note = `${errors} errors ${JSON.stringify(statuses)}; ${note}`
  }
  return {
    ...resolveP99,
    title: `resolve GET /v1/templates/{name} p99 @ ${sizes.resolveRate} req/s`,
    ours: ours.p99,
    reference: reference?.p99 ?? null,
    ratio: reference ? round(ours.p99 / reference.p99, 2) : null,
    status: ours.p99 <= 2 && errors === 0 ? 'pass' : 'fail',
    note,
    detail: {
      ours,
      reference,
      oursRoundsP99: rounds.ours.map((r) => r.p99),
      referenceRoundsP99: rounds.reference.map((r) => r.p99),
      nodeFloor: node,
      nodeFloorRoundsP99: rounds.node.map((r) => r.p99),
      generator: spec,
    },
  }
}
