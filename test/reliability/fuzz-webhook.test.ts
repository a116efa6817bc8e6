// Webhook fuzz: random and mutated deliveries against the real app over a real temp runtime
// (SQLite file, store). Each request is checked against a model of the receiver as
// docs/api.md#webhook--post-hooksgitea describes it: only 200/202/400/401/413 (503 without a
// secret), nothing recorded or queued without a valid signature, 400 for a correctly signed
// malformed payload, JSON bodies of the documented shape.
// fast-check with a fixed seed (FUZZ_SEED overrides); figures go to
// test-artifacts/reliability/fuzz-webhook.json.

import { createHmac } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Runtime } from '../../src/runtime.js'
import { runtimeApp } from '../support/app.js'
import { testRuntime } from '../support/runtime.js'
import { FULL, pick } from './mode.js'

const FUZZ_SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) | 0 : 0x5eed_40c
const RUNS = pick(400, 5_000)
const NO_SECRET_RUNS = pick(100, 1_000)
const SECRET = 'fuzz-webhook-secret'
/** The limit these runs configure (ASSET_CACHE_WEBHOOK_MAX_BODY), small enough to fuzz around. */
const MAX = 1024 * 1024
const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'reliability')
const A = 'a'.repeat(40)
const B = 'b'.repeat(40)

// --- model ----------------------------------------------------------------------------------

const HEX_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/
const FULL_NAME = /^[^/\s]+\/[^/\s]+$/
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
const validRepo = (r: unknown) =>
  isObject(r) &&
  typeof r.full_name === 'string' &&
  r.full_name.length >= 3 &&
  r.full_name.length <= 512 &&
  FULL_NAME.test(r.full_name)
const validPush = (j: unknown) =>
  isObject(j) &&
  typeof j.ref === 'string' &&
  j.ref.length >= 1 &&
  j.ref.length <= 1024 &&
  typeof j.before === 'string' &&
  HEX_ID.test(j.before) &&
  typeof j.after === 'string' &&
  HEX_ID.test(j.after) &&
  validRepo(j.repository)
const validOther = (j: unknown) =>
  isObject(j) &&
  (j.ref === undefined || (typeof j.ref === 'string' && j.ref.length <= 1024)) &&
  (j.repository === undefined || validRepo(j.repository))

const hmac = (data: string | Uint8Array, secret = SECRET) =>
  createHmac('sha256', secret).update(data).digest('hex')

/** What the signature covers; other content types are verified over the raw body (401 first). */
function signedContent(contentType: string | null, body: Buffer): [string | Buffer, boolean] {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase()
  if (type === 'application/json' || type === '') return [body, true]
  if (type === 'application/x-www-form-urlencoded') {
    return [new URLSearchParams(body.toString('utf8')).get('payload') ?? '', true]
  }
  return [body, false]
}

/** The signature header that counts: the first of the three present, even when empty. */
function providedSignature(h: Headers): string | null {
  const gitea = h.get('x-gitea-signature')
  if (gitea !== null) return gitea
  const forgejo = h.get('x-forgejo-signature')
  if (forgejo !== null) return forgejo
  const hub = h.get('x-hub-signature-256')
  if (hub !== null) return hub.startsWith('sha256=') ? hub.slice(7) : ''
  return null
}

const EVENT_HEADERS = ['x-gitea-event', 'x-forgejo-event', 'x-gogs-event', 'x-github-event']
const first = (h: Headers, names: string[]) =>
  names.map((n) => h.get(n)).find((v) => v !== null && v !== '') ?? undefined

interface Expectation {
  statuses: number[]
  code?: string
  signed: boolean
}

function expectation(req: Request, body: Buffer, seen: (id: string) => boolean): Expectation {
  const h = req.headers
  const declared = Number(h.get('content-length') ?? '0')
  if (declared > MAX || body.length > MAX) {
    return { statuses: [413], code: 'PAYLOAD_TOO_LARGE', signed: false }
  }
  const [signed, supported] = signedContent(h.get('content-type'), body)
  if (providedSignature(h) !== hmac(signed)) {
    return { statuses: [401], code: 'UNAUTHORIZED', signed: false }
  }
  if (!supported) return { statuses: [400], code: 'UNSUPPORTED_MEDIA_TYPE', signed: true }
  let json: unknown
  try {
    json = JSON.parse(typeof signed === 'string' ? signed : signed.toString('utf8'))
  } catch {
    return { statuses: [400], code: 'MALFORMED_JSON', signed: true }
  }
  const event = first(h, EVENT_HEADERS)
  if (!event) return { statuses: [400], code: 'BAD_REQUEST', signed: true }
  const id = first(h, [
    'x-gitea-delivery',
    'x-forgejo-delivery',
    'x-gogs-delivery',
    'x-github-delivery',
  ])
  if (id && seen(id)) return { statuses: [200], signed: true }
  const valid = event === 'push' ? validPush(json) : validOther(json)
  if (!valid) return { statuses: [400], code: 'INVALID_PAYLOAD', signed: true }
  return { statuses: event === 'push' ? [200, 202] : [200], signed: true }
}

// --- arbitraries ----------------------------------------------------------------------------

const hexId = (len: 40 | 64) => fc.stringMatching(new RegExp(`^[0-9a-f]{${len}}$`))
const commitId = fc.oneof(
  { weight: 6, arbitrary: hexId(40) },
  { weight: 1, arbitrary: hexId(64) },
  { weight: 1, arbitrary: fc.constantFrom(A, B, '0'.repeat(40), A.toUpperCase(), 'main', '') },
  { weight: 1, arbitrary: fc.oneof(fc.string(), fc.integer(), fc.constant(null)) },
)
const fullName = fc.oneof(
  fc.constantFrom(
    'acme/agent-template-seo',
    'ACME/Agent-Template-SEO',
    'acme/docs',
    'acme/other',
    'noslash',
    'a/b/c',
    ' acme/docs',
    'ab',
    '',
  ),
  fc.string({ maxLength: 40 }),
)
const refArb = fc.oneof(
  fc.constantFrom(
    'refs/heads/main',
    'refs/heads/release',
    'refs/heads/dev',
    'refs/tags/v1',
    'main',
    '',
    'refs/heads/',
  ),
  fc.string({ maxLength: 30 }),
  fc.constant(`refs/heads/${'x'.repeat(1100)}`),
)
const maybe = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 5, arbitrary: arb }, { weight: 1, arbitrary: fc.constant(undefined) })

/** Gitea-shaped push payloads with some fields changed, dropped or retyped. */
const pushPayload = fc
  .record({
    ref: maybe(fc.oneof({ weight: 3, arbitrary: fc.constant('refs/heads/main') }, refArb)),
    before: maybe(commitId),
    after: maybe(commitId),
    repository: maybe(
      fc.oneof(
        { weight: 5, arbitrary: fc.record({ id: fc.nat(), full_name: fullName }) },
        { weight: 1, arbitrary: fc.oneof(fc.constant(null), fc.string(), fc.jsonValue()) },
      ),
    ),
    extra: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), {
      maxKeys: 3,
    }),
  })
  .map(({ extra, ...p }) => {
    const out: Record<string, unknown> = { ...extra, commits: [], total_commits: 1 }
    for (const [k, v] of Object.entries(p)) if (v !== undefined) out[k] = v
    return out
  })

/** Pushes that pass the schema, to tracked and untracked repositories and refs. */
const validPushPayload = fc.record({
  ref: fc.constantFrom('refs/heads/main', 'refs/heads/release', 'refs/heads/dev', 'refs/tags/v1'),
  before: hexId(40),
  after: fc.oneof({ weight: 8, arbitrary: hexId(40) }, fc.constant(B), fc.constant('0'.repeat(40))),
  repository: fc.record({
    full_name: fc.constantFrom(
      'acme/agent-template-seo',
      'ACME/AGENT-TEMPLATE-SEO',
      'acme/docs',
      'acme/other',
    ),
  }),
  pusher: fc.record({ login: fc.string({ maxLength: 10 }) }),
})

const otherPayload = fc
  .record({
    ref: maybe(fc.oneof(refArb, fc.constant(null), fc.integer())),
    ref_type: fc.constantFrom('tag', 'branch'),
    repository: maybe(fc.oneof(fc.record({ full_name: fullName }), fc.constant(null))),
  })
  .map((p) => JSON.parse(JSON.stringify(p)) as unknown)

const jsonText = fc.oneof(
  { weight: 4, arbitrary: pushPayload.map((p) => JSON.stringify(p)) },
  { weight: 4, arbitrary: validPushPayload.map((p) => JSON.stringify(p)) },
  { weight: 1, arbitrary: pushPayload.map((p) => JSON.stringify(p, null, 2)) },
  { weight: 2, arbitrary: otherPayload.map((p) => JSON.stringify(p)) },
  { weight: 2, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
  {
    weight: 1,
    arbitrary: fc.tuple(pushPayload, fc.nat()).map(([p, n]) => JSON.stringify(p).slice(0, n % 200)),
  },
)

interface Body {
  kind: string
  bytes: Buffer | string
  /** The content type that fits the body. */
  natural: string
}

const bigBody = fc
  .tuple(
    pushPayload,
    fc.oneof(fc.integer({ min: -300, max: 300 }), fc.constant(0), fc.constant(MAX)),
  )
  .map(([p, delta]): Body => {
    const base = JSON.stringify({ ...p, padding: '' })
    const padding = 'x'.repeat(Math.max(0, MAX + delta - Buffer.byteLength(base)))
    return {
      kind: delta > 0 ? 'over-1MiB' : 'near-1MiB',
      bytes: Buffer.from(JSON.stringify({ ...p, padding })),
      natural: 'application/json',
    }
  })

const formBody = fc
  .tuple(jsonText, fc.constantFrom('plain', 'extra', 'twice', 'none', 'raw', 'plus'))
  .map(([json, shape]): Body => {
    const enc = new URLSearchParams({ payload: json }).toString()
    const bytes = {
      plain: enc,
      extra: `a=1&${enc}&b=2`,
      twice: `${enc}&payload=%7B%7D`,
      none: 'nothing=here',
      raw: `payload=${json}`,
      plus: enc.replace(/%20/g, '+'),
    }[shape]!
    return {
      kind: `form-${shape}`,
      bytes: Buffer.from(bytes),
      natural: 'application/x-www-form-urlencoded',
    }
  })

const bodyArb: fc.Arbitrary<Body> = fc.oneof(
  {
    weight: 8,
    arbitrary: jsonText.map((t) => ({
      kind: 'json',
      bytes: Buffer.from(t),
      natural: 'application/json',
    })),
  },
  { weight: 3, arbitrary: formBody },
  {
    weight: 1,
    arbitrary: fc
      .uint8Array({ maxLength: 4096 })
      .map((b) => ({ kind: 'bytes', bytes: Buffer.from(b), natural: 'application/json' })),
  },
  {
    weight: 1,
    arbitrary: fc
      .oneof(
        fc.string({ unit: 'grapheme', maxLength: 500 }),
        fc.string({ unit: 'binary', maxLength: 500 }),
      )
      .map((s) => ({ kind: 'string', bytes: s, natural: 'application/json' })),
  },
  { weight: 1, arbitrary: bigBody },
)

const contentType = (natural: string) =>
  fc.oneof(
    { weight: 10, arbitrary: fc.constant(natural) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        'application/json; charset=utf-8',
        'APPLICATION/JSON',
        ' application/json ',
        'application/x-www-form-urlencoded; charset=UTF-8',
        'application/x-www-form-urlencoded',
        'application/json',
        'text/plain',
        'multipart/form-data; boundary=x',
        'application/jsonx',
        '',
        ';',
      ),
    },
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  )

type SigMode =
  | 'none'
  | 'empty'
  | 'garbage'
  | 'correct'
  | 'uppercase'
  | 'wrong-secret'
  | 'hub-no-prefix'
  | 'shadowed'
  | 'other-body'
  | 'duplicate'
  | 'long'

const sigMode = fc.oneof(
  { weight: 9, arbitrary: fc.constant<SigMode>('correct') },
  {
    weight: 11,
    arbitrary: fc.constantFrom<SigMode>(
      'none',
      'empty',
      'garbage',
      'uppercase',
      'wrong-secret',
      'hub-no-prefix',
      'shadowed',
      'other-body',
      'duplicate',
      'long',
    ),
  },
)

type Casing = 'lower' | 'upper' | 'title'
const casing = fc.constantFrom<Casing>('lower', 'upper', 'title')
const cased = (name: string, c: Casing) =>
  c === 'lower'
    ? name.toLowerCase()
    : c === 'upper'
      ? name.toUpperCase()
      : name.replace(/(^|-)([a-z])/g, (_m, d: string, ch: string) => d + ch.toUpperCase())

const headerValue = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 60 }) },
  { weight: 1, arbitrary: fc.constant('v'.repeat(16 * 1024)) },
  { weight: 1, arbitrary: fc.constant('') },
)

const requestArb = bodyArb.chain((body) =>
  fc.record({
    body: fc.constant(body),
    contentType: contentType(body.natural),
    sig: sigMode,
    sigHeader: fc.constantFrom('x-gitea-signature', 'x-forgejo-signature', 'x-hub-signature-256'),
    garbage: fc.oneof(hexId(64), fc.string({ maxLength: 70 })),
    eventHeaders: fc.oneof(
      { weight: 4, arbitrary: fc.constant(['x-gitea-event']) },
      { weight: 2, arbitrary: fc.subarray(EVENT_HEADERS) },
    ),
    event: fc.oneof(
      { weight: 8, arbitrary: fc.constant('push') },
      { weight: 4, arbitrary: fc.constantFrom('create', 'delete', 'issues', 'ping', 'release') },
      { weight: 1, arbitrary: fc.constantFrom('PUSH', 'Push', 'push ', ' push', '') },
      { weight: 1, arbitrary: headerValue },
    ),
    duplicateEvent: fc.oneof({ weight: 6, arbitrary: fc.constant(false) }, fc.constant(true)),
    delivery: fc.oneof(
      { weight: 1, arbitrary: fc.constant<string | undefined>(undefined) },
      { weight: 6, arbitrary: fc.uuid() },
      { weight: 1, arbitrary: fc.constantFrom('dup-1', 'dup-2', '') },
      { weight: 1, arbitrary: fc.constant('d'.repeat(300)) },
    ),
    contentLength: fc.oneof(
      { weight: 8, arbitrary: fc.constant<string | undefined>(undefined) },
      { weight: 1, arbitrary: fc.constantFrom('2000000', '1048577', '0', 'abc', '-1', '1e9') },
    ),
    casing,
    extra: fc.dictionary(
      fc.constantFrom(
        'authorization',
        'x-gitea-hook-installation-target-type',
        'user-agent',
        'x-hub-signature',
      ),
      headerValue,
      { maxKeys: 2 },
    ),
  }),
)

type Req = typeof requestArb extends fc.Arbitrary<infer T> ? T : never

/** Builds the Request; a correct signature covers what the receiver signs for this body. */
function build(r: Req): Request {
  const h = new Headers()
  const set = (name: string, value: string) => h.append(cased(name, r.casing), value)
  if (r.contentType !== undefined) set('content-type', r.contentType)
  if (r.contentLength !== undefined) set('content-length', r.contentLength)
  for (const name of r.eventHeaders) {
    set(name, r.event)
    if (r.duplicateEvent) set(name, 'push')
  }
  if (r.delivery !== undefined) set('x-gitea-delivery', r.delivery)
  for (const [k, v] of Object.entries(r.extra)) set(k, v)
  const bytes = Buffer.from(r.body.bytes)
  // A string body without a content type gets text/plain from the Request constructor.
  const ctype =
    r.contentType ?? (typeof r.body.bytes === 'string' ? 'text/plain;charset=UTF-8' : null)
  const [content] = signedContent(ctype, bytes)
  const right = hmac(content)
  const value = (hex: string) => (r.sigHeader === 'x-hub-signature-256' ? `sha256=${hex}` : hex)
  switch (r.sig) {
    case 'none':
      break
    case 'empty':
      set(r.sigHeader, '')
      break
    case 'garbage':
      set(r.sigHeader, r.garbage)
      break
    case 'correct':
      set(r.sigHeader, value(right))
      break
    case 'uppercase':
      set(r.sigHeader, value(right.toUpperCase()))
      break
    case 'wrong-secret':
      set(r.sigHeader, value(hmac(content, `${SECRET}x`)))
      break
    case 'hub-no-prefix':
      set('x-hub-signature-256', right)
      break
    case 'shadowed':
      set('x-gitea-signature', '0'.repeat(64))
      set('x-hub-signature-256', `sha256=${right}`)
      break
    case 'other-body':
      set(r.sigHeader, value(hmac(Buffer.concat([bytes, Buffer.from(' ')]))))
      break
    case 'duplicate':
      set(r.sigHeader, value(right))
      set(r.sigHeader, value(right))
      break
    case 'long':
      set(r.sigHeader, value(right.repeat(200)))
      break
  }
  return new Request('http://localhost/hooks/gitea', {
    method: 'POST',
    headers: h,
    body: r.body.bytes,
  })
}

// --- the run --------------------------------------------------------------------------------

let rt: Runtime
let noSecret: Runtime

beforeAll(async () => {
  const templates = [
    { name: 'seo', repo: 'acme/agent-template-seo' },
    { name: 'seo-copy', repo: 'Acme/Agent-Template-SEO' },
    { name: 'docs', repo: 'acme/docs', ref: 'release' },
  ]
  rt = await testRuntime(templates, {
    ASSET_CACHE_WEBHOOK_SECRET: SECRET,
    ASSET_CACHE_WEBHOOK_MAX_BODY: '1MiB',
  })
  noSecret = await testRuntime(templates)
})
afterAll(() => {
  rt?.close()
  noSecret?.close()
})

const count = (r: Runtime, table: 'jobs' | 'deliveries') =>
  (r.index.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n

const successShape = (status: number, body: unknown) => {
  expect(isObject(body)).toBe(true)
  const b = body as Record<string, unknown>
  expect(Object.keys(b).every((k) => k === 'status' || k === 'reason')).toBe(true)
  expect(b.status).toBe(status === 202 ? 'queued' : b.status === 'ok' ? 'ok' : 'ignored')
  if (b.status === 'ignored') expect(typeof b.reason).toBe('string')
}

const errorShape = (body: unknown, code: string | undefined) => {
  expect(isObject(body) && Object.keys(body)).toEqual(['error'])
  const e = (body as { error: Record<string, unknown> }).error
  expect(Object.keys(e).sort()).toEqual(['code', 'message', 'requestId'])
  expect(e.code).toMatch(/^[A-Z][A-Z0-9_]*$/)
  if (code) expect(e.code).toBe(code)
  expect(typeof e.message).toBe('string')
  expect(typeof e.requestId).toBe('string')
}

const bump = (m: Record<string, number>, k: string) => {
  m[k] = (m[k] ?? 0) + 1
}

it(
  'answers random and mutated deliveries as documented, recording only signed ones',
  async () => {
    const started = performance.now()
    const enqueued: number[] = []
    const app = runtimeApp(rt, { onEnqueued: (job) => enqueued.push(job.id) })
    const statuses: Record<string, number> = {}
    const codes: Record<string, number> = {}
    const kinds: Record<string, number> = {}
    const latencies: number[] = []
    let signedRuns = 0
    let runs = 0
    // A valid signed push now and then, so that the duplicate paths see real history.
    const seedPush = JSON.stringify({
      ref: 'refs/heads/main',
      before: A,
      after: B,
      repository: { full_name: 'acme/agent-template-seo' },
    })
    const seeded = await app.request('/hooks/gitea', {
      method: 'POST',
      body: seedPush,
      headers: {
        'content-type': 'application/json',
        'x-gitea-event': 'push',
        'x-gitea-delivery': 'dup-1',
        'x-gitea-signature': hmac(seedPush),
      },
    })
    expect(seeded.status).toBe(202)

    await fc.assert(
      fc.asyncProperty(requestArb, async (r) => {
        runs += 1
        const req = build(r)
        const bytes = Buffer.from(r.body.bytes)
        const want = expectation(req, bytes, (id) => rt.index.deliveries.seen(id))
        const jobsBefore = count(rt, 'jobs')
        const deliveriesBefore = count(rt, 'deliveries')
        const enqueuedBefore = enqueued.length
        const t0 = performance.now()
        const res = await app.request(req)
        latencies.push(performance.now() - t0)
        const text = await res.text()
        const body = JSON.parse(text) as unknown
        expect(res.headers.get('content-type')).toMatch(/^application\/json/)
        expect([200, 202, 400, 401, 413]).toContain(res.status)
        expect(want.statuses).toContain(res.status)
        if (res.status >= 400) errorShape(body, want.code)
        else successShape(res.status, body)

        const newJobs = count(rt, 'jobs') - jobsBefore
        const newDeliveries = count(rt, 'deliveries') - deliveriesBefore
        expect(newDeliveries).toBe(want.signed ? 1 : 0)
        if (res.status !== 202) {
          expect(newJobs).toBe(0)
          expect(enqueued.length).toBe(enqueuedBefore)
        } else {
          expect(first(req.headers, EVENT_HEADERS)).toBe('push')
        }
        if (!want.signed) expect(newJobs).toBe(0)

        if (want.signed) signedRuns += 1
        bump(statuses, String(res.status))
        bump(kinds, r.body.kind)
        if (res.status >= 400) bump(codes, (body as { error: { code: string } }).error.code)
        else {
          const b = body as { status: string; reason?: string }
          const reason = b.reason?.startsWith('event ') ? 'event … is not used' : b.reason
          bump(codes, `${res.status}:${b.status}${reason ? `:${reason.slice(0, 30)}` : ''}`)
        }
        // Let later pushes queue again rather than coalesce into a job that is already queued.
        if (res.status === 202 && runs % 7 === 0) {
          rt.index.db.prepare("UPDATE jobs SET state = 'done' WHERE state = 'queued'").run()
        }
      }),
      { seed: FUZZ_SEED, numRuns: RUNS, endOnFailure: true },
    )

    // No secret: every delivery is refused with 503 and nothing is recorded.
    const closed = runtimeApp(noSecret)
    const noSecretStatuses: Record<string, number> = {}
    await fc.assert(
      fc.asyncProperty(requestArb, async (r) => {
        const res = await closed.request(build(r))
        const body = JSON.parse(await res.text()) as unknown
        expect(res.status).toBe(503)
        errorShape(body, 'WEBHOOK_DISABLED')
        bump(noSecretStatuses, String(res.status))
      }),
      { seed: FUZZ_SEED, numRuns: NO_SECRET_RUNS, endOnFailure: true },
    )
    expect(count(noSecret, 'deliveries')).toBe(0)
    expect(count(noSecret, 'jobs')).toBe(0)

    latencies.sort((a, b) => a - b)
    const q = (p: number) =>
      Math.round(latencies[Math.floor(p * (latencies.length - 1))]! * 100) / 100
    const summary = {
      seed: FUZZ_SEED,
      mode: FULL ? 'full' : 'quick',
      runs,
      noSecretRuns: NO_SECRET_RUNS,
      validlySigned: signedRuns,
      statuses,
      codes: Object.fromEntries(Object.entries(codes).sort(([, a], [, b]) => b - a)),
      bodyKinds: kinds,
      deliveriesRecorded: count(rt, 'deliveries'),
      jobsEnqueued: enqueued.length,
      noSecretStatuses,
      latencyMs: { p50: q(0.5), p99: q(0.99), max: q(1) },
      seconds: Math.round((performance.now() - started) / 100) / 10,
    }
    await mkdir(ARTIFACTS, { recursive: true })
    await writeFile(join(ARTIFACTS, 'fuzz-webhook.json'), `${JSON.stringify(summary, null, 2)}\n`)
    console.log(
      `fuzz-webhook seed=${FUZZ_SEED} mode=${summary.mode} runs=${runs} signed=${signedRuns} ` +
        `statuses=${JSON.stringify(statuses)} no-secret=${JSON.stringify(noSecretStatuses)} ` +
        `deliveries=${summary.deliveriesRecorded} jobs=${summary.jobsEnqueued} ` +
        `latency p50=${summary.latencyMs.p50}ms p99=${summary.latencyMs.p99}ms ` +
        `max=${summary.latencyMs.max}ms time=${summary.seconds}s codes=${JSON.stringify(summary.codes)}`,
    )
  },
  pick(60_000, 600_000),
)
