// oci-blob-256k / oci-blob-4k / oci-manifest-p99: the OCI routes against Debian's docker-registry
// (CNCF distribution, filesystem storage) serving the very same images in the same run. The
// registry is filled by `skopeo copy --all --preserve-digests` from the cache, so both serve the
// same blob digests and manifest bytes. Blobs: wrk closed loop, rounds interleaved. Manifests:
// the resolve row's open-loop generator at the same fixed rate, by tag, median round.
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { type Registry, run, startRegistry, TOOLS } from '../../test/support/oci-tools.js'
import { AUTH, type BenchContext, READ_TOKEN } from '../lib/context.js'
import { type LoadResult, openLoop } from '../lib/loadgen.js'
import type { Row, RowSpec } from '../lib/report.js'
import { skipped } from '../lib/report.js'
import { round } from '../lib/stats.js'
import { INSTALL_HINT } from '../lib/tools.js'
import { runWrk } from '../lib/wrk.js'

const WRK = { connections: 32, threads: 2 }
const OCI_HINT = 'apt-get install docker-registry skopeo'
const INDEX = 'application/vnd.oci.image.index.v1+json'

export const ociBlob256k: RowSpec = {
  id: 'oci-blob-256k',
  title: 'OCI blob GET 256 KiB',
  unit: 'req/s',
  referenceLabel: 'docker-registry',
  target: '≥ 5× docker-registry',
}

export const ociBlob4k: RowSpec = {
  id: 'oci-blob-4k',
  title: 'OCI blob GET 4 KiB',
  unit: 'req/s',
  referenceLabel: 'docker-registry',
  target: '≥ 5× docker-registry',
}

export const ociManifestP99: RowSpec = {
  id: 'oci-manifest-p99',
  title: 'OCI manifest GET by tag p99 @ fixed rate',
  unit: 'ms',
  referenceLabel: 'docker-registry',
  target: 'p99 ≤ 2 ms',
}

const toolsMissing = () => !existsSync(TOOLS.registry) || !existsSync(TOOLS.skopeo)

/** docker-registry holding `templates/small` and `templates/hot` exactly as the cache serves them. */
const references = new WeakMap<BenchContext, Promise<Registry>>()

function reference(ctx: BenchContext): Promise<Registry> {
  let made = references.get(ctx)
  if (!made) {
    made = (async () => {
      const { server } = await ctx.main()
      const dir = join(ctx.dir, 'registry')
      mkdirSync(dir, { recursive: true })
      const registry = await startRegistry(dir)
      ctx.defer(() => registry.stop())
      const cache = new URL(server.url).host
      for (const name of ['small', 'hot']) {
        await run(TOOLS.skopeo, [
          'copy',
          '--all',
          '--preserve-digests',
          '--src-tls-verify=false',
          '--dest-tls-verify=false',
          '--src-creds',
          `bench:${READ_TOKEN}`,
          `docker://${cache}/templates/${name}:latest`,
          `docker://${registry.host}/templates/${name}:latest`,
        ])
      }
      return registry
    })()
    references.set(ctx, made)
  }
  return made
}

export async function ociBlobRow(ctx: BenchContext, which: 'hot' | 'small'): Promise<Row> {
  const spec = which === 'hot' ? ociBlob256k : ociBlob4k
  const wrk = ctx.tools.wrk
  if (!wrk) return skipped(spec, `needs wrk: ${INSTALL_HINT}`)
  if (toolsMissing()) return skipped(spec, `needs docker-registry and skopeo: ${OCI_HINT}`)
  const { server, views } = await ctx.main()
  const registry = await reference(ctx)
  const path = `/v2/templates/${which}/blobs/${views[which].digest}`
  const urls = { ours: `${server.url}${path}`, registry: `${registry.url}${path}` }
  const headers = { ours: AUTH, registry: {} }
  const sides = ['ours', 'registry'] as const
  const rounds: Record<(typeof sides)[number], number[]> = { ours: [], registry: [] }
  let errors = 0
  const { sizes } = ctx
  const once = (side: (typeof sides)[number], durationS: number) =>
    runWrk(wrk, { url: urls[side], ...WRK, durationS, headers: headers[side] })
  if (sizes.wrkWarmSeconds > 0) for (const side of sides) await once(side, sizes.wrkWarmSeconds)
  for (let r = 0; r < sizes.wrkRounds; r++) {
    for (const side of r % 2 === 0 ? sides : [...sides].reverse()) {
      const result = await once(side, sizes.wrkSeconds)
      errors += result.errors
      rounds[side].push(result.requestsPerSecond)
    }
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
  const ours = round(mean(rounds.ours), 0)
  const reg = round(mean(rounds.registry), 0)
  const ratio = round(ours / reg, 2)
  return {
    ...spec,
    ours,
    reference: reg,
    ratio,
    status: ratio >= 5 && errors === 0 ? 'pass' : 'fail',
    note: errors > 0 ? `${errors} non-2xx or socket errors` : undefined,
    detail: {
      bundleBytes: views[which].size,
      wrk: { ...WRK, seconds: sizes.wrkSeconds, rounds: sizes.wrkRounds },
      oursRounds: rounds.ours,
      registryRounds: rounds.registry,
      errors,
    },
  }
}

/** The round with the median p99. */
function medianRound(rounds: LoadResult[]): LoadResult {
  const sorted = [...rounds].sort((a, b) => a.p99 - b.p99)
  return sorted[Math.floor((sorted.length - 1) / 2)]!
}

export async function ociManifestRow(ctx: BenchContext): Promise<Row> {
  if (toolsMissing())
    return skipped(ociManifestP99, `needs docker-registry and skopeo: ${OCI_HINT}`)
  const { server } = await ctx.main()
  const registry = await reference(ctx)
  const { sizes } = ctx
  const path = '/v2/templates/small/manifests/latest'
  const spec = {
    rate: sizes.resolveRate,
    durationMs: sizes.resolveMs,
    warmupMs: sizes.resolveWarmMs,
    connections: 16,
  }
  const rounds: Record<'ours' | 'registry', LoadResult[]> = { ours: [], registry: [] }
  for (let r = 0; r < sizes.resolveRounds; r++) {
    rounds.ours.push(
      await openLoop({ ...spec, url: `${server.url}${path}`, headers: { ...AUTH, accept: INDEX } }),
    )
    rounds.registry.push(
      await openLoop({ ...spec, url: `${registry.url}${path}`, headers: { accept: INDEX } }),
    )
  }
  const ours = medianRound(rounds.ours)
  const reg = medianRound(rounds.registry)
  const errors = rounds.ours.reduce((n, r) => n + r.errors, 0)
  return {
    ...ociManifestP99,
    title: `OCI manifest GET by tag p99 @ ${sizes.resolveRate} req/s`,
    ours: ours.p99,
    reference: reg.p99,
    ratio: round(ours.p99 / reg.p99, 2),
    status: ours.p99 <= 2 && errors === 0 ? 'pass' : 'fail',
    note:
      `generator (ours): lag p99 ${ours.lagP99} ms; registry p50 ${reg.p50} ms, ` +
      `${reg.errors} errors of ${reg.scheduled}` +
      (errors > 0 ? `; ours ${errors} errors ${JSON.stringify(ours.statuses)}` : ''),
    detail: { ours, registry: reg, oursRounds: rounds.ours, registryRounds: rounds.registry },
  }
}
