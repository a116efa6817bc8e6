// serve-256k / serve-4k: closed-loop throughput of GET /v1/bundles/{digest} against nginx serving
// the same bytes, with wrk at the same connections, threads and duration, rounds interleaved. A bare
// node:http server answering the same bytes and headers is measured too (the Node.js floor).
import type { BenchContext } from '../lib/context.js'
import { AUTH } from '../lib/context.js'
import { startNodeFloor } from '../lib/node-floor.js'
import type { Row, RowSpec } from '../lib/report.js'
import { skipped } from '../lib/report.js'
import { round } from '../lib/stats.js'
import { INSTALL_HINT } from '../lib/tools.js'
import { runWrk, type WrkOptions } from '../lib/wrk.js'

const WRK = { connections: 32, threads: 2 }

export const serve256k: RowSpec = {
  id: 'serve-256k',
  title: 'serve 256 KiB bundle',
  unit: 'req/s',
  referenceLabel: 'nginx',
  target: '≥ 0.9× nginx',
}

export const serve4k: RowSpec = {
  id: 'serve-4k',
  title: 'serve 4 KiB bundle',
  unit: 'req/s',
  referenceLabel: 'nginx',
  target: '≥ 0.6× nginx',
}

export async function serveRow(ctx: BenchContext, which: 'hot' | 'small'): Promise<Row> {
  const spec = which === 'hot' ? serve256k : serve4k
  const wrk = ctx.tools.wrk
  if (!wrk || !ctx.tools.nginx) return skipped(spec, `needs nginx and wrk: ${INSTALL_HINT}`)
  const { server, views } = await ctx.main()
  const { nginx, paths } = await ctx.reference()
  const { sizes } = ctx
  const options = (url: string, durationS: number): WrkOptions => ({
    url,
    ...WRK,
    durationS,
    headers: AUTH,
  })
  const oursUrl = `${server.url}/v1/bundles/${views[which].digest}`
  const nginxUrl = `${nginx.url}${paths[which]}`
  const floor = await startNodeFloor(oursUrl, AUTH, ctx.dir)
  const urls = { ours: oursUrl, nginx: nginxUrl, node: floor.url }
  const sides = ['ours', 'nginx', 'node'] as const
  const rounds: Record<(typeof sides)[number], number[]> = { ours: [], nginx: [], node: [] }
  let errors = 0
  try {
    if (sizes.wrkWarmSeconds > 0) {
      for (const side of sides) await runWrk(wrk, options(urls[side], sizes.wrkWarmSeconds))
    }
    for (let r = 0; r < sizes.wrkRounds; r++) {
      // Each round in another order, so that no side always follows the same one.
      const order = [...sides.slice(r % 3), ...sides.slice(0, r % 3)]
      for (const side of order) {
        const result = await runWrk(wrk, options(urls[side], sizes.wrkSeconds))
        errors += result.errors
        rounds[side].push(result.requestsPerSecond)
      }
    }
  } finally {
    await floor.close()
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
  const oursRps = round(mean(rounds.ours), 0)
  const nginxRps = round(mean(rounds.nginx), 0)
  const nodeRps = round(mean(rounds.node), 0)
  const ratio = round(oursRps / nginxRps, 3)
  const floorNote = `node:http floor ${nodeRps} req/s = ${round(nodeRps / nginxRps, 2)}× nginx; ours ${round(oursRps / nodeRps, 2)}× the floor`
  const min = which === 'hot' ? 0.9 : 0.6
  return {
    ...spec,
    ours: oursRps,
    reference: nginxRps,
    ratio,
    status: ratio >= min && errors === 0 ? 'pass' : 'fail',
    note: errors > 0 ? `${errors} non-2xx or socket errors; ${floorNote}` : floorNote,
    detail: {
      bundleBytes: views[which].size,
      wrk: { ...WRK, seconds: sizes.wrkSeconds, rounds: sizes.wrkRounds },
      oursRounds: rounds.ours,
      nginxRounds: rounds.nginx,
      nodeFloor: nodeRps,
      nodeFloorRounds: rounds.node,
      oursVsNodeFloor: round(oursRps / nodeRps, 3),
      errors,
    },
  }
}
