// webhook-ack: 200 concurrent signed Gitea push deliveries, latency measured at the client; the
// reference is a bare node:http server (child process) that reads the body and answers 202.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { Agent, request } from 'undici'
import { buildWebhookRequest } from '../../test/support/gitea/index.js'
import { terminate } from '../../test/support/server-process.js'
import type { BenchContext } from '../lib/context.js'
import { WEBHOOK_SECRET } from '../lib/context.js'
import { commitChain, pushPayloads } from '../lib/fixtures.js'
import type { Row, RowSpec } from '../lib/report.js'
import { quantile, round } from '../lib/stats.js'

export const webhookAck: RowSpec = {
  id: 'webhook-ack',
  title: 'webhook ack p99, concurrent deliveries',
  unit: 'ms',
  referenceLabel: 'bare node:http 202',
  target: 'p99 ≤ 10 ms',
}

const SINK = `
const http = require('node:http')
const server = http.createServer((req, res) => {
  req.on('data', () => {})
  req.on('end', () => {
    res.writeHead(202, { 'content-type': 'application/json' })
    res.end('{"status":"queued"}')
  })
})
server.listen(0, '127.0.0.1', () => console.log(server.address().port))
`

async function startSink(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['-e', SINK], { stdio: ['ignore', 'pipe', 'inherit'] })
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer]
  return { url: `http://127.0.0.1:${chunk.toString().trim()}`, child }
}

type Prepared = { headers: Record<string, string>; body: string }

/** Sends `batch` all at once on fresh connections (as Gitea's concurrent deliveries do). */
async function burst(url: string, batch: Prepared[]): Promise<{ ms: number[]; bad: number }> {
  const agent = new Agent({ connections: null })
  let bad = 0
  const ms = await Promise.all(
    batch.map(async (delivery) => {
      const started = performance.now()
      const res = await request(url, {
        method: 'POST',
        headers: delivery.headers,
        body: delivery.body,
        dispatcher: agent,
      })
      await res.body.text()
      if (res.statusCode !== 202 && res.statusCode !== 200) bad++
      return performance.now() - started
    }),
  )
  await agent.close()
  return { ms, bad }
}

export async function webhookAckRow(ctx: BenchContext): Promise<Row> {
  const { server, repos } = await ctx.main()
  const { ackConcurrency: n, ackRounds: rounds } = ctx.sizes
  const warm = 20
  const commits = await commitChain(repos.ack, 'ack', warm + n * rounds, 'prompts/ack.md')
  const prepared = (await pushPayloads(repos.ack, commits)).map((payload) => {
    const { headers, body } = buildWebhookRequest({
      secret: WEBHOOK_SECRET,
      event: 'push',
      payload,
    })
    return { headers, body }
  })
  const sink = await startSink()
  try {
    const measure = async (url: string) => {
      await burst(url, prepared.slice(0, warm))
      const all: number[] = []
      let bad = 0
      for (let r = 0; r < rounds; r++) {
        await sleep(300)
        const result = await burst(url, prepared.slice(warm + r * n, warm + (r + 1) * n))
        all.push(...result.ms)
        bad += result.bad
      }
      return { all, bad }
    }
    const ours = await measure(`${server.url}/hooks/gitea`)
    const ref = await measure(sink.url)
    const p99 = round(quantile(ours.all, 0.99), 2)
    const refP99 = round(quantile(ref.all, 0.99), 2)
    return {
      ...webhookAck,
      title: `webhook ack p99, ${n} concurrent deliveries`,
      ours: p99,
      reference: refP99,
      ratio: round(p99 / refP99, 2),
      status: p99 <= 10 && ours.bad === 0 ? 'pass' : 'fail',
      note: `p50 ${round(quantile(ours.all, 0.5), 2)} ms (reference p50 ${round(quantile(ref.all, 0.5), 2)} ms)${ours.bad ? `; ${ours.bad} non-2xx` : ''}`,
      detail: {
        deliveries: ours.all.length,
        rounds,
        concurrency: n,
        ours: {
          p50: quantile(ours.all, 0.5),
          p99: quantile(ours.all, 0.99),
          max: Math.max(...ours.all),
        },
        reference: {
          p50: quantile(ref.all, 0.5),
          p99: quantile(ref.all, 0.99),
          max: Math.max(...ref.all),
        },
      },
    }
  } finally {
    await terminate(sink.child, 2_000)
  }
}
