// push-burst: 1 000 pushes to one template in a burst — the branch really moves before each
// delivery, as it does in Gitea — and the archive downloads the fake Gitea served for it.
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { sendWebhook } from '../../test/support/gitea/index.js'
import type { BenchContext } from '../lib/context.js'
import { READ_TOKEN, WEBHOOK_SECRET } from '../lib/context.js'
import { commitChain, moveBranch, pushPayloads, withLimit } from '../lib/fixtures.js'
import { readyAt } from '../lib/http.js'
import type { Row, RowSpec } from '../lib/report.js'
import { round } from '../lib/stats.js'

export const pushBurst: RowSpec = {
  id: 'push-burst',
  title: 'pushes to one template in a burst → archive downloads',
  unit: 'downloads',
  referenceLabel: 'pushes',
  target: '≤ 2 downloads',
}

export async function burstRow(ctx: BenchContext): Promise<Row> {
  const { server, repos } = await ctx.main()
  const gitea = await ctx.gitea()
  const repo = repos.burst
  const n = ctx.sizes.burstPushes
  const commits = await commitChain(repo, 'burst', n)
  const payloads = await pushPayloads(repo, commits)
  const downloads = () =>
    gitea.requests.filter(
      (r) => r.route === 'archive' && r.repo === repo.fullName && r.status === 200,
    ).length
  const before = downloads()
  const statuses = new Map<number, number>()
  const started = performance.now()
  await withLimit(
    32,
    payloads.map((payload, i) => async () => {
      moveBranch(repo, 'main', commits[i]!)
      const ack = await sendWebhook(`${server.url}/hooks/gitea`, {
        secret: WEBHOOK_SECRET,
        event: 'push',
        payload,
      })
      statuses.set(ack.status, (statuses.get(ack.status) ?? 0) + 1)
    }),
  )
  const burstMs = performance.now() - started
  await readyAt(server.url, 'burst', READ_TOKEN, commits.at(-1), 120_000)
  const settledMs = performance.now() - started
  // Anything still queued would download within this quiet period.
  await sleep(ctx.smoke ? 300 : 1_500)
  const count = downloads() - before
  return {
    ...pushBurst,
    title: `${n} pushes to one template in a burst → archive downloads`,
    ours: count,
    reference: n,
    ratio: round(count / n, 4),
    status: count <= 2 ? 'pass' : 'fail',
    note: `burst sent in ${round(burstMs, 0)} ms, last commit ready after ${round(settledMs, 0)} ms`,
    detail: { pushes: n, downloads: count, acks: Object.fromEntries(statuses), burstMs, settledMs },
  }
}
