// peak-rss: VmHWM of a fresh server after 4 concurrent ~16 MiB ingests (at boot, then again on
// pushes) under serve load; the reference is the same process's VmRSS idle after its boot ingests.
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { push, sendWebhook } from '../../test/support/gitea/index.js'
import type { BenchContext } from '../lib/context.js'
import { AUTH, READ_TOKEN, WEBHOOK_SECRET } from '../lib/context.js'
import { randomFiles } from '../lib/fixtures.js'
import { readyAt } from '../lib/http.js'
import { openLoop } from '../lib/loadgen.js'
import type { Row, RowSpec } from '../lib/report.js'
import { round } from '../lib/stats.js'
import { runWrk } from '../lib/wrk.js'

export const peakRssSpec: RowSpec = {
  id: 'peak-rss',
  title: 'peak RSS, 4 concurrent 16 MiB ingests + serve load',
  unit: 'MiB',
  referenceLabel: 'idle RSS after boot',
  target: '≤ 200 MiB',
}

const MiB = 2 ** 20

export async function rssRow(ctx: BenchContext): Promise<Row> {
  const { sizes } = ctx
  const big = []
  for (let i = 0; i < 4; i++) {
    big.push({
      name: `big${i}`,
      repo: await ctx.repo(`rss-big${i}`, {
        'config.yaml': `name: big${i}\n`,
        ...randomFiles('prompts', sizes.rssIngestBytes, 512 * 1024),
      }),
    })
  }
  const hot = {
    name: 'hot',
    repo: await ctx.repo('rss-hot', {
      'config.yaml': 'name: hot\n',
      'prompts/data.bin': randomBytes(256 * 1024 - 2560),
    }),
  }
  const server = await ctx.server('rss', [...big, hot])
  const bootStarted = performance.now()
  for (const t of [...big, hot]) await readyAt(server.url, t.name, READ_TOKEN)
  const bootMs = performance.now() - bootStarted
  const idle = server.memory().rss
  const hotView = await readyAt(server.url, 'hot', READ_TOKEN)
  const bundleUrl = `${server.url}/v1/bundles/${hotView.digest}`

  let sampledMax = 0
  const sampler = setInterval(() => {
    sampledMax = Math.max(sampledMax, server.memory().rss)
  }, 50)
  try {
    const load = ctx.tools.wrk
      ? runWrk(ctx.tools.wrk, {
          url: bundleUrl,
          connections: 32,
          threads: 2,
          durationS: sizes.rssLoadSeconds,
          headers: AUTH,
        })
      : openLoop({
          url: bundleUrl,
          rate: 500,
          durationMs: sizes.rssLoadSeconds * 1000,
          warmupMs: 0,
          connections: 32,
          headers: AUTH,
        })
    const ingestStarted = performance.now()
    const pushes = await Promise.all(
      big.map((t, i) => push(t.repo, { 'prompts/run.md': `second ${i}\n` })),
    )
    await Promise.all(
      pushes.map((payload) =>
        sendWebhook(`${server.url}/hooks/gitea`, {
          secret: WEBHOOK_SECRET,
          event: 'push',
          payload,
        }),
      ),
    )
    await Promise.all(
      big.map((t, i) => readyAt(server.url, t.name, READ_TOKEN, pushes[i]!.after, 300_000)),
    )
    const ingestMs = performance.now() - ingestStarted
    await load
    const { peakRss } = server.memory()
    const peak = round(peakRss / MiB, 1)
    const idleMiB = round(idle / MiB, 1)
    return {
      ...peakRssSpec,
      ours: peak,
      reference: idleMiB,
      ratio: round(peak / idleMiB, 2),
      status: peak <= 200 ? 'pass' : 'fail',
      note: `VmHWM over boot (4+1 ingests) and 4 concurrent re-ingests under ${ctx.tools.wrk ? 'wrk -c32' : 'open-loop 500 req/s'} load; sampled VmRSS max ${round(sampledMax / MiB, 1)} MiB`,
      detail: { bootMs, ingestMs, idleRss: idle, peakRss, sampledMaxRss: sampledMax },
    }
  } finally {
    clearInterval(sampler)
    await server.stop()
  }
}
