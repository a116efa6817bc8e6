// The webhook body budget: deliveries reserve their bytes before they are read, wait their turn
// while the budget is spent, and are answered 503 WEBHOOK_BUSY (their body unread) when it is not
// their turn within half the body timeout. The budget itself is checked as a unit (first come
// first served, never over capacity whatever the order of reserves and releases) and over real
// sockets against the real server.
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { BodyBudget } from '../../src/http/middleware/body-budget.js'
import { type RunningServer, startServer } from '../../src/http/server.js'
import { silentLogger } from '../../src/log.js'
import { sendWebhook } from '../support/gitea/index.js'
import { bodyOf, rawClient, statusOf } from '../support/raw-socket.js'
import { testConfig } from '../support/runtime.js'
import { until } from '../support/wait.js'

const SECRET = 'budget-secret'
const MiB = 1024 * 1024

describe('BodyBudget', () => {
  it('takes the largest body whole, first come first served, and gives each reserve back once', async () => {
    const budget = new BodyBudget(10, 16)
    expect(budget.capacity).toBe(16)
    const a = await budget.reserve(12, 1_000)
    const order: string[] = []
    const granted = (name: string) => (release: () => void) => {
      order.push(name)
      return release
    }
    const b = budget.reserve(8, 1_000).then(granted('b'))
    // Fits now, but must not overtake b.
    const c = budget.reserve(2, 1_000).then(granted('c'))
    await new Promise((r) => setTimeout(r, 20))
    expect(order).toEqual([])
    a()
    a()
    const [rb, rc] = await Promise.all([b, c])
    expect(order).toEqual(['b', 'c'])
    expect(budget.used).toBe(10)
    rb()
    rc()
    expect(budget.used).toBe(0)
  })

  it('refuses with WEBHOOK_BUSY past its wait, and lets a smaller waiter behind it start', async () => {
    const budget = new BodyBudget(10, 10)
    const held = await budget.reserve(8, 1_000)
    const big = budget.reserve(10, 50)
    const small = budget.reserve(2, 5_000)
    await expect(big).rejects.toMatchObject({ code: 'WEBHOOK_BUSY', status: 503 })
    const release = await small
    expect(budget.used).toBe(10)
    release()
    held()
    expect(budget.used).toBe(0)
  })

  it('property: never over capacity, and empty once every reserve is given back', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.nat(3)), {
          minLength: 1,
          maxLength: 30,
        }),
        async (steps) => {
          const budget = new BodyBudget(20, 20)
          const held: (() => void)[] = []
          const pending: Promise<void>[] = []
          let peak = 0
          for (const [bytes, releases] of steps) {
            pending.push(
              budget.reserve(bytes, 1_000).then((r) => {
                peak = Math.max(peak, budget.used)
                held.push(r)
              }),
            )
            for (let i = 0; i < releases && held.length > 0; i++) held.shift()!()
            await Promise.resolve()
          }
          while (held.length > 0 || budget.used > 0) {
            for (const r of held.splice(0)) r()
            await new Promise((r) => setImmediate(r))
          }
          await Promise.all(pending)
          for (const r of held.splice(0)) r()
          expect(peak).toBeLessThanOrEqual(20)
          expect(budget.used).toBe(0)
        },
      ),
      { numRuns: 200 },
    )
  })
})

describe('webhook deliveries over budget, against the real server', () => {
  let server: RunningServer | null = null
  afterEach(async () => {
    await server?.close(1_000)
    server = null
  })

  it('a delivery that cannot get its bytes in time is 503 WEBHOOK_BUSY, unread; the next one is served', async () => {
    const config = testConfig([], {
      ASSET_CACHE_WEBHOOK_SECRET: SECRET,
      ASSET_CACHE_BODY_TIMEOUT: '2s',
      ASSET_CACHE_RECONCILE_INTERVAL: '1h',
    })
    server = await startServer(config, { logger: silentLogger })
    const s = server
    const gauge = async () => {
      const line = (await s.metrics.text())
        .split('\n')
        .find((l) => l.startsWith('asset_cache_webhook_body_bytes '))
      return Number(line?.split(' ')[1] ?? 0)
    }
    // A sender that declares the largest body (25 MiB) and sends 10 bytes of it: it holds 25 MiB
    // of the 32 MiB budget until its 408 at the body timeout.
    const hog = await rawClient(s.url)
    hog.socket.write(
      'POST /hooks/gitea HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
        `X-Gitea-Event: push\r\nContent-Length: ${25 * MiB}\r\n\r\n{"ref":"x"`,
    )
    await until(async () => (await gauge()) === 25 * MiB)
    // 10 MiB more does not fit: it waits half the body timeout, then 503, its body never read.
    const next = await rawClient(s.url)
    next.socket.write(
      'POST /hooks/gitea HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
        `X-Gitea-Event: push\r\nContent-Length: ${10 * MiB}\r\n\r\n`,
    )
    await until(() => statusOf(next.received()) !== null)
    const busy = next.received()
    expect(statusOf(busy)).toBe(503)
    expect(busy.toString()).toMatch(/retry-after: 1/i)
    expect(bodyOf(busy)).toContain('WEBHOOK_BUSY')
    const busyCount = async () =>
      (await s.metrics.text())
        .split('\n')
        .find(
          (l) =>
            l.startsWith('asset_cache_webhook_deliveries_total{') && l.includes('outcome="busy"'),
        )
    await until(async () => (await busyCount()) !== undefined)
    expect((await busyCount())!.endsWith(' 1')).toBe(true)
    // The hog's own deadline: 408, and its bytes are given back.
    await hog.closed
    expect(statusOf(hog.received())).toBe(408)
    await until(async () => (await gauge()) === 0)
    // A delivery that fits is served as ever.
    const sent = await sendWebhook(`${s.url}/hooks/gitea`, {
      secret: SECRET,
      event: 'push',
      payload: {
        ref: 'refs/heads/main',
        before: '0'.repeat(40),
        after: '1'.repeat(40),
        repository: { full_name: 'acme/none' },
      },
    })
    expect(sent.status).toBe(200)
    expect(sent.body).toContain('ignored')
    expect(await gauge()).toBe(0)
  })
})
