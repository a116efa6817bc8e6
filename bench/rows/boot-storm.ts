// boot-storm: N provisioner boots (resolve, then the bundle by digest, its sha256 checked) from a
// pool of concurrent clients, through nginx configured from deploy/nginx/asset-cache.conf, in front
// of three replicas (ASSET_CACHE_PEERS) against the same nginx in front of one of them; rounds
// interleaved, the median round reported. Every boot must succeed on both sides.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Agent } from 'undici'
import { runBootStorm } from '../../test/support/boot-storm.js'
import { type NginxFront, startNginxFront } from '../../test/support/nginx-front.js'
import { freePorts } from '../../test/support/ports.js'
import { type ReplicaSet, startReplicaSet } from '../../test/support/replica-set.js'
import type { BenchContext } from '../lib/context.js'
import { AUTH, GITEA_TOKEN, READ_TOKEN, WEBHOOK_SECRET } from '../lib/context.js'
import { readyAt } from '../lib/http.js'
import type { Row, RowSpec } from '../lib/report.js'
import { median, quantile, round } from '../lib/stats.js'
import { INSTALL_HINT } from '../lib/tools.js'

export const bootStorm: RowSpec = {
  id: 'boot-storm',
  title: 'boot storm through nginx: 3 replicas vs 1, p99 of resolve + bundle',
  unit: 'ms',
  referenceLabel: 'nginx → one replica',
  target: '0 failed boots; p99 ≤ 2× one replica',
}

interface Storm {
  p50: number
  p99: number
  failures: number
}

async function storm(front: string, boots: number, concurrency: number): Promise<Storm> {
  const dispatcher = new Agent({ connections: concurrency })
  try {
    const { times, failures } = await runBootStorm(front, {
      template: 'storm',
      boots,
      concurrency,
      headers: AUTH,
      dispatcher,
    })
    return { p50: quantile(times, 0.5), p99: quantile(times, 0.99), failures: failures.length }
  } finally {
    await dispatcher.close()
  }
}

export async function bootStormRow(ctx: BenchContext): Promise<Row> {
  if (!ctx.tools.nginx) {
    return {
      ...bootStorm,
      ours: null,
      reference: null,
      ratio: null,
      status: 'skipped',
      note: INSTALL_HINT,
    }
  }
  const gitea = await ctx.gitea()
  const repo = await ctx.repo('storm', {
    'config.yaml': 'name: storm\n',
    'prompts/system.md': `${'Boot quickly. '.repeat(300)}\n`,
  })
  const dir = join(ctx.dir, 'storm')
  mkdirSync(dir, { recursive: true })
  const manifest = join(dir, 'templates.json')
  writeFileSync(
    manifest,
    JSON.stringify({ workspace_templates: [{ name: 'storm', repo: repo.fullName, ref: 'main' }] }),
  )
  const ports = await freePorts(5)
  const fronts: NginxFront[] = []
  let set: ReplicaSet | null = null
  ctx.defer(async () => {
    for (const f of fronts) await f.stop()
    await set?.stop()
  })
  set = await startReplicaSet({
    dir,
    ports: ports.slice(0, 3),
    manifest,
    gitea: { url: gitea.url, token: GITEA_TOKEN },
    readToken: READ_TOKEN,
    webhookSecret: WEBHOOK_SECRET,
  })
  for (const url of set.urls) await readyAt(url, 'storm', READ_TOKEN)
  const upstreams = ports.slice(0, 3).map((p) => `127.0.0.1:${p}`)
  const three = await startNginxFront(join(dir, 'front-3'), ports[3]!, upstreams)
  fronts.push(three)
  const one = await startNginxFront(join(dir, 'front-1'), ports[4]!, upstreams.slice(0, 1))
  fronts.push(one)

  const { stormBoots: boots, stormConcurrency: concurrency, stormRounds } = ctx.sizes
  // A short warm-up on each side (connections, the front's cache of the bundle), not counted.
  await storm(three.url, concurrency * 2, concurrency)
  await storm(one.url, concurrency * 2, concurrency)
  const rounds: Record<'three' | 'one', Storm[]> = { three: [], one: [] }
  for (let r = 0; r < stormRounds; r++) {
    rounds.three.push(await storm(three.url, boots, concurrency))
    rounds.one.push(await storm(one.url, boots, concurrency))
  }
  const p99 = (side: Storm[]) => median(side.map((s) => s.p99))
  const p50 = (side: Storm[]) => median(side.map((s) => s.p50))
  const failures = (side: Storm[]) => side.reduce((n, s) => n + s.failures, 0)
  const ours = round(p99(rounds.three), 2)
  const reference = round(p99(rounds.one), 2)
  const ratio = round(ours / reference, 2)
  const failed = failures(rounds.three) + failures(rounds.one)
  return {
    ...bootStorm,
    ours,
    reference,
    ratio,
    status: failed === 0 && ratio <= 2 ? 'pass' : 'fail',
    note:
      `ratio = three / one (p99); ${boots} boots × ${stormRounds} round(s), ${concurrency} at once; ` +
      `p50 ${round(p50(rounds.three), 2)} vs ${round(p50(rounds.one), 2)} ms; ` +
      `failed boots ${failures(rounds.three)} (three) and ${failures(rounds.one)} (one)`,
    detail: {
      three: rounds.three,
      one: rounds.one,
    },
  }
}
