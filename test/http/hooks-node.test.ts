// POST /hooks/gitea over real sockets, through @hono/node-server as `serve` runs it: the body read
// straight from the socket (declared length) or streamed (chunked), concurrent deliveries sharing
// one transaction (group commit), and the delivery counter labelled by the handler.

import { createHmac } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { getRequestListener } from '@hono/node-server'
import { request } from 'undici'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { JobRow } from '../../src/db/index.js'
import { createMetrics, type Metrics } from '../../src/metrics.js'
import type { Runtime } from '../../src/runtime.js'
import { runtimeApp } from '../support/app.js'
import { testRuntime } from '../support/runtime.js'

const SECRET = 'webhook-node-secret'
const hmac = (body: string) => createHmac('sha256', SECRET).update(body).digest('hex')
const sha = (i: number) => (i + 1).toString(16).padStart(40, 'a')

const push = (after: string, before = 'f'.repeat(40)) =>
  JSON.stringify({
    ref: 'refs/heads/main',
    before,
    after,
    commits: [{ id: after, message: 'change\n' }],
    repository: { id: 7, full_name: 'acme/agent-template-seo', owner: { login: 'acme' } },
    sender: { login: 'dev' },
  })

let rt: Runtime
let server: Server
let url: string
let metrics: Metrics
let onEnqueued: (job: JobRow) => void

beforeEach(async () => {
  rt = await testRuntime([{ name: 'seo', repo: 'acme/agent-template-seo' }], {
    ASSET_CACHE_WEBHOOK_SECRET: SECRET,
    ASSET_CACHE_WEBHOOK_MAX_BODY: '1MiB',
  })
  metrics = createMetrics()
  onEnqueued = () => {}
  const app = runtimeApp(rt, { metrics, onEnqueued: (job) => onEnqueued(job) })
  server = createServer(getRequestListener(app.fetch))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/gitea`
})

afterEach(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
  rt.close()
})

async function deliver(body: string | Readable, headers: Record<string, string>) {
  const res = await request(url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'x-gitea-event': 'push', ...headers },
  })
  return { status: res.statusCode, json: (await res.body.json()) as Record<string, unknown> }
}

const signed = (body: string, id: string) => ({
  'x-gitea-delivery': id,
  'x-gitea-signature': hmac(body),
})

async function counted(): Promise<Record<string, number>> {
  const { values } = await metrics.webhookDeliveries.get()
  return Object.fromEntries(values.map((v) => [`${v.labels.event}/${v.labels.outcome}`, v.value]))
}

describe('POST /hooks/gitea over a socket', () => {
  it('records every one of a concurrent burst and queues one job', async () => {
    const bodies = Array.from({ length: 60 }, (_, i) => push(sha(i)))
    const answers = await Promise.all(bodies.map((b, i) => deliver(b, signed(b, `burst-${i}`))))
    expect(answers.map((a) => a.status)).toEqual(bodies.map(() => 202))
    expect(answers.every((a) => a.json.status === 'queued')).toBe(true)
    const rows = rt.index.deliveries.list(1000)
    expect(rows).toHaveLength(60)
    expect(new Set(rows.map((r) => r.deliveryId))).toEqual(
      new Set(bodies.map((_, i) => `burst-${i}`)),
    )
    expect(rows.every((r) => r.outcome === 'queued' && r.jobIds.length === 1)).toBe(true)
    expect(rt.index.jobs.list().filter((j) => j.state === 'queued')).toHaveLength(1)
    expect(await counted()).toEqual({ 'push/queued': 60 })
  })

  it('answers a delivery id repeated within one burst once, and duplicates after it', async () => {
    const body = push(sha(1))
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => deliver(body, signed(body, 'same-id'))),
    )
    expect(answers.filter((a) => a.status === 202)).toHaveLength(1)
    expect(answers.filter((a) => a.status === 200 && a.json.reason === 'duplicate')).toHaveLength(7)
    const outcomes = rt.index.deliveries.list().map((r) => r.outcome)
    expect(outcomes.sort()).toEqual([...Array(7).fill('duplicate'), 'queued'])
    expect(await counted()).toEqual({ 'push/queued': 1, 'push/duplicate': 7 })
  })

  it('fails only the delivery whose write fails, records it as failed, and takes its redelivery', async () => {
    // A real database failure for one delivery of the batch: a trigger aborts its insert.
    rt.index.db.exec(`CREATE TRIGGER refuse_one BEFORE INSERT ON deliveries
      WHEN NEW.delivery_id = 'one-3' AND NEW.outcome = 'queued'
      BEGIN SELECT RAISE(ABORT, 'injected'); END`)
    const bodies = Array.from({ length: 10 }, (_, i) => push(sha(100 + i)))
    const answers = await Promise.all(bodies.map((b, i) => deliver(b, signed(b, `one-${i}`))))
    expect(answers.map((a) => a.status)).toEqual(bodies.map((_, i) => (i === 3 ? 500 : 202)))
    const rows = rt.index.deliveries.list()
    expect(rows).toHaveLength(10)
    const failed = rows.find((r) => r.deliveryId === 'one-3')!
    expect(failed.outcome).toBe('failed')
    expect(failed.reason).toMatch(/^internal error/)
    expect(rows.filter((r) => r.outcome === 'queued')).toHaveLength(9)
    expect(await counted()).toEqual({ 'push/queued': 9, 'push/failed': 1 })
    // Gitea's "Redeliver" of the failed one is handled, not taken for a duplicate.
    rt.index.db.exec('DROP TRIGGER refuse_one')
    const again = await deliver(bodies[3]!, signed(bodies[3]!, 'one-3'))
    expect(again.status).toBe(202)
  })

  it('answers a delivery whose commit went through even when waking the workers throws', async () => {
    onEnqueued = () => {
      throw new Error('injected')
    }
    const body = push(sha(200))
    expect((await deliver(body, signed(body, 'wake'))).status).toBe(202)
    expect(rt.index.deliveries.list().map((r) => r.outcome)).toEqual(['queued'])
  })

  it('refuses a chunked body over the configured limit with 413 and records nothing', async () => {
    const big = push(sha(2)).replace('"change\\n"', `"${'x'.repeat(1024 * 1024)}"`)
    async function* chunks() {
      for (let at = 0; at < big.length; at += 64 * 1024)
        yield Buffer.from(big.slice(at, at + 64 * 1024))
    }
    const res = await deliver(Readable.from(chunks()), signed(big, 'big')).catch(
      (err: Error) => err,
    )
    // The server may close the connection once it answered; when the answer arrives, it is 413.
    if (!(res instanceof Error)) expect(res.status).toBe(413)
    expect(rt.index.deliveries.list()).toEqual([])
    expect(rt.index.jobs.list()).toEqual([])
    expect(await counted()).toEqual({ 'push/too_large': 1 })
  })

  it('refuses a declared length over the configured limit with 413 before reading it', async () => {
    const big = push(sha(3)).replace('"change\\n"', `"${'x'.repeat(1024 * 1024)}"`)
    const res = await deliver(big, signed(big, 'declared')).catch((err: Error) => err)
    if (!(res instanceof Error)) expect(res.status).toBe(413)
    expect(rt.index.deliveries.list()).toEqual([])
    expect(await counted()).toEqual({ 'push/too_large': 1 })
  })

  it('counts what the handler decided for each outcome', async () => {
    const test = push(sha(5), sha(5))
    expect((await deliver(test, signed(test, 't'))).json).toEqual({ status: 'ok' })
    const body = push(sha(6))
    expect((await deliver(body, signed(body, 'a'))).status).toBe(202)
    expect((await deliver(body, signed(body, 'b'))).json).toEqual({
      status: 'ignored',
      reason: 'duplicate',
    })
    expect((await deliver(body, { 'x-gitea-signature': 'f'.repeat(64) })).status).toBe(401)
    const create = JSON.stringify({ ref: 'v1', repository: { full_name: 'acme/x' } })
    expect(
      (await deliver(create, { ...signed(create, 'c'), 'x-gitea-event': 'create' })).json,
    ).toEqual({ status: 'ignored', reason: 'create event' })
    const bad = '{"ref":'
    expect((await deliver(bad, signed(bad, 'm'))).status).toBe(400)
    expect(await counted()).toEqual({
      'push/ok': 1,
      'push/queued': 1,
      'push/duplicate': 1,
      'push/unauthorized': 1,
      'push/invalid': 1,
      'create/ignored': 1,
    })
  })
})
