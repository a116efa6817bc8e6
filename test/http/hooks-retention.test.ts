// The deliveries table stays bounded whatever a sender does with a body it once captured: every
// stored text is capped, rows past ASSET_CACHE_DELIVERY_MAX_ROWS go on insert, rows past
// ASSET_CACHE_DELIVERY_RETENTION go with GC.

import { createHmac, randomBytes } from 'node:crypto'
import { statSync } from 'node:fs'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { cappedText } from '../../src/capped-text.js'
import { DELIVERY_TEXT_BYTES, type DeliveryRow } from '../../src/db/index.js'
import type { Runtime } from '../../src/runtime.js'
import { runtimeApp } from '../support/app.js'
import { testRuntime } from '../support/runtime.js'

const SECRET = 'retention-secret'
const ADMIN = randomBytes(32).toString('hex')
const hmac = (body: string) => createHmac('sha256', SECRET).update(body).digest('hex')
const DAY = 86_400_000

let rt: Runtime | null = null
afterEach(() => {
  rt?.close()
  rt = null
})

async function setup(env: Record<string, string> = {}) {
  rt = await testRuntime([{ name: 'seo', repo: 'acme/agent-template-seo' }], {
    ASSET_CACHE_WEBHOOK_SECRET: SECRET,
    ASSET_CACHE_ADMIN_TOKEN: ADMIN,
    ...env,
  })
  return { rt, app: runtimeApp(rt) }
}

/** A push Gitea once signed: the attacker can only vary the headers. */
const CAPTURED = JSON.stringify({
  ref: 'refs/heads/main',
  before: 'a'.repeat(40),
  after: 'b'.repeat(40),
  repository: { full_name: 'acme/agent-template-seo' },
})

const utf8Bytes = (text: string | null) => (text === null ? 0 : Buffer.byteLength(text))
const wellFormed = (text: string) => Buffer.from(text, 'utf8').toString('utf8') === text

function assertCapped(row: DeliveryRow) {
  expect(utf8Bytes(row.deliveryId)).toBeLessThanOrEqual(DELIVERY_TEXT_BYTES.deliveryId)
  expect(utf8Bytes(row.event)).toBeLessThanOrEqual(DELIVERY_TEXT_BYTES.event)
  expect(utf8Bytes(row.reason)).toBeLessThanOrEqual(DELIVERY_TEXT_BYTES.reason)
  expect(utf8Bytes(row.repo)).toBeLessThanOrEqual(DELIVERY_TEXT_BYTES.repo)
  expect(utf8Bytes(row.ref)).toBeLessThanOrEqual(DELIVERY_TEXT_BYTES.ref)
  for (const text of [row.deliveryId, row.event, row.reason, row.repo, row.ref])
    if (text !== null) expect(wellFormed(text)).toBe(true)
}

describe('the deliveries table under replay', () => {
  it('stays within ASSET_CACHE_DELIVERY_MAX_ROWS over 10 000 replays with fresh ids and a 14 KB event', async () => {
    const { rt, app } = await setup({ ASSET_CACHE_DELIVERY_MAX_ROWS: '1000' })
    const file = rt.index.db.name
    const sizeOf = () => {
      rt.index.db.pragma('wal_checkpoint(TRUNCATE)')
      return statSync(file).size
    }
    const before = sizeOf()
    // Latin-1 text in a header arrives as code points up to U+00FF: two UTF-8 bytes each.
    const event = `push${'é'.repeat(7 * 1024)}`
    const replay = (i: number) =>
      app.request('/hooks/gitea', {
        method: 'POST',
        body: CAPTURED,
        headers: {
          'content-type': 'application/json',
          'x-gitea-event': i % 2 === 0 ? event : 'push',
          'x-gitea-delivery': `${i}-${'d'.repeat(4096)}`,
          'x-gitea-signature': hmac(CAPTURED),
        },
      })
    const statuses = new Map<number, number>()
    for (let at = 0; at < 10_000; at += 250) {
      const answers = await Promise.all(Array.from({ length: 250 }, (_, k) => replay(at + k)))
      for (const a of answers) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1)
    }
    expect([...statuses.keys()].every((s) => s === 200 || s === 202)).toBe(true)
    expect(rt.index.deliveries.count()).toBe(1000)
    const rows = rt.index.deliveries.list(5000)
    // The newest are the ones kept.
    expect(rows[0]!.deliveryId?.startsWith('9999-')).toBe(true)
    for (const row of rows) assertCapped(row)
    expect(rows.some((r) => r.event.endsWith('…'))).toBe(true)
    const grown = sizeOf() - before
    console.log(
      `10 000 replays: ${rt.index.deliveries.count()} rows kept, index.db grew ${(grown / 1024).toFixed(0)} KiB`,
    )
  }, 60_000)

  it('keeps a redelivery of a capped delivery id a duplicate', async () => {
    const { rt, app } = await setup()
    const id = `${'x'.repeat(200)}-long`
    const send = (after: string) => {
      const body = CAPTURED.replace('b'.repeat(40), after)
      return app.request('/hooks/gitea', {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          'x-gitea-event': 'push',
          'x-gitea-delivery': id,
          'x-gitea-signature': hmac(body),
        },
      })
    }
    expect((await send('c'.repeat(40))).status).toBe(202)
    const again = await send('d'.repeat(40))
    expect(again.status).toBe(200)
    expect(await again.json()).toEqual({ status: 'ignored', reason: 'duplicate' })
    const job = rt.index.jobs.list()[0]!
    expect(job.deliveryId).toBe(cappedText(id, DELIVERY_TEXT_BYTES.deliveryId))
  })
})

describe('retention by age, with GC', () => {
  it('POST /v1/admin/gc removes deliveries older than ASSET_CACHE_DELIVERY_RETENTION; a dry run only counts', async () => {
    const { rt, app } = await setup({ ASSET_CACHE_DELIVERY_RETENTION: '7d' })
    const now = Date.now()
    for (let i = 0; i < 30; i++) {
      rt.index.deliveries.record(
        { deliveryId: `d-${i}`, event: 'push', outcome: 'ignored' },
        now - (30 - i) * DAY + DAY / 2,
      )
    }
    const gc = (dryRun: boolean) =>
      app.request('/v1/admin/gc', {
        method: 'POST',
        body: JSON.stringify({ dryRun }),
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      })
    const step = async (res: Response) => {
      expect(res.status).toBe(200)
      const report = (await res.json()) as { steps: { name: string; counts: object }[] }
      return report.steps.find((s) => s.name === 'deliveries')?.counts
    }
    // Received 29.5 … 0.5 days ago: the 7 newest are within 7 days.
    expect(await step(await gc(true))).toEqual({ removed: 23, kept: 7 })
    expect(rt.index.deliveries.count()).toBe(30)
    expect(await step(await gc(false))).toEqual({ removed: 23, kept: 7 })
    expect(rt.index.deliveries.list().map((r) => r.deliveryId)).toEqual([
      'd-29',
      'd-28',
      'd-27',
      'd-26',
      'd-25',
      'd-24',
      'd-23',
    ])
  })

  it('GC also applies a row cap lowered since the rows were written', async () => {
    const { rt } = await setup()
    for (let i = 0; i < 50; i++)
      rt.index.deliveries.record({ deliveryId: `d-${i}`, event: 'push', outcome: 'ok' }, Date.now())
    const counts = rt.index.deliveries.prune({ olderThan: 0, maxRows: 20 })
    expect(counts).toEqual({ removed: 30, kept: 20 })
    expect(rt.index.deliveries.list(1)[0]!.deliveryId).toBe('d-49')
  })
})

describe('cappedText', () => {
  const text = fc
    .array(
      fc.oneof(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.constantFrom('\ud800', '\udfff', 'é', '😀', '\u0301', 'a'),
      ),
      { maxLength: 60 },
    )
    .map((parts) => parts.join(''))

  it('is well-formed, within the byte limit, a prefix of the input, and stable (property)', () => {
    fc.assert(
      fc.property(text, fc.integer({ min: 3, max: 300 }), (input, max) => {
        const out = cappedText(input, max)
        expect(Buffer.byteLength(out)).toBeLessThanOrEqual(max)
        expect(wellFormed(out)).toBe(true)
        expect(cappedText(out, max)).toBe(out)
        const whole = Buffer.from(input, 'utf8').toString('utf8')
        if (Buffer.byteLength(whole) <= max) expect(out).toBe(whole)
        else {
          expect(out.endsWith('…')).toBe(true)
          expect(whole.startsWith(out.slice(0, -1))).toBe(true)
        }
      }),
      { numRuns: 2000 },
    )
  })
})
