// resolve-p99: GET /v1/templates/{name} at a fixed 1 000 req/s (open loop), p99 against 2 ms, with
// the same generator against nginx serving the same JSON as the reference floor.
import type { BenchContext } from '../lib/context.js'
import { AUTH } from '../lib/context.js'
import { openLoop } from '../lib/loadgen.js'
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
  const ours = await openLoop({ ...spec, url: `${server.url}/v1/templates/small` })
  let reference: Awaited<ReturnType<typeof openLoop>> | null = null
  let note: string | undefined
  if (ctx.tools.nginx) {
    const { nginx, paths } = await ctx.reference()
    reference = await openLoop({ ...spec, url: `${nginx.url}${paths.resolve}` })
  } else {
    note = `reference skipped: ${INSTALL_HINT}`
  }
  if (ours.errors > 0) note = `${ours.errors} errors ${JSON.stringify(ours.statuses)}`
  return {
    ...resolveP99,
    title: `resolve GET /v1/templates/{name} p99 @ ${sizes.resolveRate} req/s`,
    ours: ours.p99,
    reference: reference?.p99 ?? null,
    ratio: reference ? round(ours.p99 / reference.p99, 2) : null,
    status: ours.p99 <= 2 && ours.errors === 0 ? 'pass' : 'fail',
    ...(note ? { note } : {}),
    detail: { ours, reference, generator: spec },
  }
}
