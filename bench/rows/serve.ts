// serve-256k / serve-4k: closed-loop throughput of GET /v1/bundles/{digest} against nginx serving
// the same bytes, with wrk at the same connections, threads and duration, rounds interleaved.
import type { BenchContext } from '../lib/context.js'
import { AUTH } from '../lib/context.js'
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
  if (sizes.wrkWarmSeconds > 0) {
    await runWrk(wrk, options(oursUrl, sizes.wrkWarmSeconds))
    await runWrk(wrk, options(nginxUrl, sizes.wrkWarmSeconds))
  }
  const ours: number[] = []
  const theirs: number[] = []
  let errors = 0
  for (let r = 0; r < sizes.wrkRounds; r++) {
    const order = r % 2 === 0 ? ['ours', 'nginx'] : ['nginx', 'ours']
    for (const side of order) {
      const result = await runWrk(
        wrk,
        options(side === 'ours' ? oursUrl : nginxUrl, sizes.wrkSeconds),
      )
      errors += result.errors
      ;(side === 'ours' ? ours : theirs).push(result.requestsPerSecond)
    }
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
  const oursRps = round(mean(ours), 0)
  const nginxRps = round(mean(theirs), 0)
  const ratio = round(oursRps / nginxRps, 3)
  const min = which === 'hot' ? 0.9 : 0.6
  return {
    ...spec,
    ours: oursRps,
    reference: nginxRps,
    ratio,
    status: ratio >= min && errors === 0 ? 'pass' : 'fail',
    ...(errors > 0 ? { note: `${errors} non-2xx or socket errors` } : {}),
    detail: {
      bundleBytes: views[which].size,
      wrk: { ...WRK, seconds: sizes.wrkSeconds, rounds: sizes.wrkRounds },
      oursRounds: ours,
      nginxRounds: theirs,
      errors,
    },
  }
}
