import { createHmac } from 'node:crypto'
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Runtime } from '../../src/runtime.js'
import { runtimeApp, type TestApp } from '../support/app.js'
import { testRuntime } from '../support/runtime.js'

const SECRET = 'webhook-shared-secret'
const A = 'a'.repeat(40)
const B = 'b'.repeat(40)
const C = 'c'.repeat(40)

const hmac = (body: string, secret = SECRET) =>
  createHmac('sha256', secret).update(body).digest('hex')

function push(over: Record<string, unknown> = {}) {
  return {
    ref: 'refs/heads/main',
    before: A,
    after: B,
    compare_url: 'https://git.example.com/acme/agent-template-seo/compare/a...b',
    commits: [],
    total_commits: 1,
    repository: {
      id: 7,
      name: 'agent-template-seo',
      full_name: 'acme/agent-template-seo',
      default_branch: 'main',
    },
    pusher: { login: 'dev' },
    sender: { login: 'dev' },
    ...over,
  }
}

let rt: Runtime
let enqueued: number[]
let app: TestApp

async function setup(env: Record<string, string> = { ASSET_CACHE_WEBHOOK_SECRET: SECRET }) {
  rt = await testRuntime(
    [
      { name: 'seo', repo: 'acme/agent-template-seo' },
      { name: 'seo-copy', repo: 'Acme/Agent-Template-SEO' },
      { name: 'docs', repo: 'acme/docs', ref: 'release' },
    ],
    env,
  )
  enqueued = []
  app = runtimeApp(rt, { onEnqueued: (job) => enqueued.push(job.id) })
}

function deliver(
  body: string,
  headers: Record<string, string> = {},
  opts: { event?: string; sign?: boolean; contentType?: string } = {},
) {
  const h: Record<string, string> = {
    'content-type': opts.contentType ?? 'application/json',
    'x-gitea-event': opts.event ?? 'push',
    'x-gitea-delivery': crypto.randomUUID(),
    ...(opts.sign === false ? {} : { 'x-gitea-signature': hmac(body) }),
    ...headers,
  }
  return app.request('/hooks/gitea', { method: 'POST', body, headers: h })
}

const errorCode = async (res: Response) =>
  ((await res.json()) as { error: { code: string } }).error.code
const jobs = () => rt.index.jobs.list()
const deliveries = () => rt.index.deliveries.list()

beforeEach(() => setup())
afterEach(() => rt.close())

describe('authentication', () => {
  it('answers 503 and records nothing without a configured secret', async () => {
    rt.close()
    await setup({})
    const res = await deliver(JSON.stringify(push()))
    expect(res.status).toBe(503)
    expect(await errorCode(res)).toBe('WEBHOOK_DISABLED')
    expect(deliveries()).toEqual([])
  })

  const body = JSON.stringify(push())
  it.each([
    ['no signature', {}, false],
    ['an empty signature', { 'x-gitea-signature': '' }, false],
    ['a wrong signature', { 'x-gitea-signature': 'f'.repeat(64) }, false],
    ['another secret', { 'x-gitea-signature': hmac(body, 'other-secret') }, false],
    ['the signature of another body', { 'x-gitea-signature': hmac(`${body} `) }, false],
    ['an uppercase signature', { 'x-gitea-signature': hmac(body).toUpperCase() }, false],
    ['a hub signature without its prefix', { 'x-hub-signature-256': hmac(body) }, false],
    [
      'a wrong Gitea signature beside a right hub one',
      { 'x-gitea-signature': '0'.repeat(64), 'x-hub-signature-256': `sha256=${hmac(body)}` },
      false,
    ],
  ])('refuses %s with 401 and records nothing', async (_name, headers, sign) => {
    const res = await deliver(body, headers, { sign })
    expect(res.status).toBe(401)
    expect(await errorCode(res)).toBe('UNAUTHORIZED')
    expect(deliveries()).toEqual([])
    expect(jobs()).toEqual([])
  })

  it.each([
    ['X-Forgejo-Signature', (b: string) => ({ 'x-forgejo-signature': hmac(b) })],
    ['X-Hub-Signature-256', (b: string) => ({ 'x-hub-signature-256': `sha256=${hmac(b)}` })],
  ])('accepts %s', async (_name, headers) => {
    const b = JSON.stringify(push())
    const res = await deliver(b, headers(b), { sign: false })
    expect(res.status).toBe(202)
  })

  it('verifies a form delivery over the decoded payload field', async () => {
    const json = JSON.stringify(push())
    const form = new URLSearchParams({ payload: json }).toString()
    const signedOver = (signed: string) =>
      deliver(
        form,
        { 'x-gitea-signature': hmac(signed) },
        { sign: false, contentType: 'application/x-www-form-urlencoded' },
      )
    expect((await signedOver(json)).status).toBe(202)
    expect((await signedOver(form)).status).toBe(401)
  })

  it('checks the signature before the content type: unsigned → 401, signed → 400', async () => {
    const body = JSON.stringify(push())
    const unsigned = await deliver(body, {}, { sign: false, contentType: 'text/plain' })
    expect(unsigned.status).toBe(401)
    expect(await errorCode(unsigned)).toBe('UNAUTHORIZED')
    const wrong = await deliver(
      body,
      { 'x-gitea-signature': hmac('other') },
      { contentType: 'text/plain' },
    )
    expect(wrong.status).toBe(401)
    expect(deliveries()).toEqual([])
    const signed = await deliver(body, {}, { contentType: 'text/plain' })
    expect(signed.status).toBe(400)
    expect(await errorCode(signed)).toBe('UNSUPPORTED_MEDIA_TYPE')
    expect(deliveries()).toEqual([
      expect.objectContaining({ outcome: 'invalid', reason: 'unsupported content type' }),
    ])
    expect(jobs()).toEqual([])
  })

  it('accepts a 5 MiB signed push delivery (a commit that adds thousands of files)', async () => {
    // Gitea lists every added path of up to five commits plus the head commit, uncapped.
    const added = Array.from({ length: 60_000 }, (_, i) => `assets/generated/file-${i}.txt`)
    const commit = { id: B, message: 'add assets', added, removed: [], modified: [] }
    const body = JSON.stringify(push({ commits: [commit], head_commit: commit }))
    expect(body.length).toBeGreaterThan(2 * 1024 * 1024)
    const big = JSON.stringify(
      push({
        commits: [commit],
        head_commit: commit,
        padding: 'x'.repeat(5 * 1024 * 1024 - body.length),
      }),
    )
    expect(Buffer.byteLength(big)).toBeGreaterThanOrEqual(5 * 1024 * 1024)
    const res = await deliver(big)
    expect(res.status).toBe(202)
    expect(await res.json()).toEqual({ status: 'queued' })
    expect(jobs().length).toBeGreaterThan(0)
  })

  it('refuses a body over ASSET_CACHE_WEBHOOK_MAX_BODY with 413, declared or not', async () => {
    rt.close()
    await setup({ ASSET_CACHE_WEBHOOK_SECRET: SECRET, ASSET_CACHE_WEBHOOK_MAX_BODY: '64KiB' })
    const big = JSON.stringify(push({ padding: 'x'.repeat(64 * 1024) }))
    expect((await deliver(big)).status).toBe(413)
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(big))
        c.close()
      },
    })
    const res = await app.request('/hooks/gitea', {
      method: 'POST',
      body: stream,
      headers: {
        'content-type': 'application/json',
        'x-gitea-event': 'push',
        'x-gitea-signature': hmac(big),
      },
      duplex: 'half',
    } as RequestInit)
    expect(res.status).toBe(413)
    expect(jobs()).toEqual([])
  })
})

describe('events', () => {
  it('queues a refresh of every template tracking the pushed repo and ref (any case)', async () => {
    const res = await deliver(JSON.stringify(push()), { 'x-gitea-delivery': 'd-1' })
    expect(res.status).toBe(202)
    expect(await res.json()).toEqual({ status: 'queued' })
    expect(
      jobs()
        .map((j) => j.template)
        .sort(),
    ).toEqual(['seo', 'seo-copy'])
    expect(enqueued).toHaveLength(2)
    const [d] = deliveries()
    expect(d).toMatchObject({
      deliveryId: 'd-1',
      event: 'push',
      repo: 'acme/agent-template-seo',
      ref: 'main',
      after: B,
      outcome: 'queued',
    })
    expect(d!.jobIds).toHaveLength(2)
    expect(jobs()[0]!.deliveryId).toBe('d-1')
  })

  it.each([
    ['SHA-1', 40],
    ['SHA-256', 64],
  ])(
    'answers a %s Test Delivery (before == after == the zero id) with 200 ok, no job',
    async (_format, length) => {
      const zero = '0'.repeat(length)
      const res = await deliver(JSON.stringify(push({ before: zero, after: zero })))
      expect([res.status, await res.json()]).toEqual([200, { status: 'ok' }])
      expect(jobs()).toEqual([])
      expect(deliveries()[0]).toMatchObject({ outcome: 'ok', reason: 'test delivery', after: zero })
    },
  )

  it('marks a tracked branch deleted on its delete event, until a push to it', async () => {
    const deleted = {
      ref: 'main',
      ref_type: 'branch',
      repository: { full_name: 'acme/agent-template-seo' },
    }
    const res = await deliver(
      JSON.stringify(deleted),
      { 'x-gitea-delivery': 'del-1' },
      { event: 'delete' },
    )
    expect([res.status, await res.json()]).toEqual([
      200,
      { status: 'ignored', reason: 'branch deleted; the last good bundle keeps serving' },
    ])
    expect(jobs()).toEqual([])
    for (const name of ['seo', 'seo-copy'])
      expect(rt.index.branches.deleted(name)).toMatchObject({ deliveryId: 'del-1' })
    expect(rt.index.branches.deleted('docs')).toBeNull()
    expect(rt.index.versions.list('seo')[0]).toMatchObject({
      status: 'failed',
      commit: null,
      reasonCode: 'BRANCH_DELETED',
    })
    // Delivered twice (two hooks): still one entry.
    await deliver(JSON.stringify(deleted), {}, { event: 'delete' })
    expect(rt.index.versions.list('seo')).toHaveLength(1)
    // The branch created again: a push whose before is the zero id, and a create event.
    const created = await deliver(JSON.stringify(push({ before: '0'.repeat(40) })))
    expect(created.status).toBe(202)
    await deliver(JSON.stringify({ ...deleted, sha: B }), {}, { event: 'create' })
    expect(rt.index.branches.deleted('seo')).toBeNull()
    expect(rt.index.versions.list('seo')).toEqual([])
  })

  it('treats a push with a zero after as any push (Gitea reports deletions as delete events)', async () => {
    const res = await deliver(JSON.stringify(push({ after: '0'.repeat(40) })))
    expect(res.status).toBe(202)
    expect(jobs()).toHaveLength(2)
  })

  it('answers Test Delivery (before == after) with 200 ok and queues nothing', async () => {
    const res = await deliver(JSON.stringify(push({ before: B, after: B })))
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ok' })
    expect(jobs()).toEqual([])
    expect(deliveries()[0]).toMatchObject({ outcome: 'ok', reason: 'test delivery' })
  })

  it.each([
    ['a tag push', push({ ref: 'refs/tags/v1' }), 'push', 'tag push'],
    [
      'an untracked repository',
      push({ repository: { full_name: 'acme/other' } }),
      'push',
      'untracked repository',
    ],
    ['an untracked ref', push({ ref: 'refs/heads/dev' }), 'push', 'untracked ref dev'],
    [
      'a create event',
      { ref: 'v1', ref_type: 'tag', repository: { full_name: 'acme/agent-template-seo' } },
      'create',
      'create event',
    ],
    [
      'a tag delete event',
      { ref: 'v1', ref_type: 'tag', repository: { full_name: 'acme/agent-template-seo' } },
      'delete',
      'delete event',
    ],
    [
      'the delete event of an untracked branch',
      { ref: 'dev', ref_type: 'branch', repository: { full_name: 'acme/agent-template-seo' } },
      'delete',
      'delete event',
    ],
    [
      'an unknown event',
      { action: 'opened', repository: { full_name: 'acme/agent-template-seo' } },
      'issues',
      'event issues is not used',
    ],
  ])('ignores %s with 200 and a reason', async (_name, payload, event, reason) => {
    const res = await deliver(JSON.stringify(payload), {}, { event })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ignored', reason })
    expect(jobs()).toEqual([])
    expect(deliveries()[0]).toMatchObject({ outcome: 'ignored', event, reason })
  })

  it('answers a duplicate delivery id with 200 and queues nothing new', async () => {
    const body = JSON.stringify(push())
    await deliver(body, { 'x-gitea-delivery': 'same' })
    rt.index.db.prepare("UPDATE jobs SET state = 'done'").run()
    const res = await deliver(JSON.stringify(push({ after: C })), { 'x-gitea-delivery': 'same' })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ignored', reason: 'duplicate' })
    expect(jobs()).toHaveLength(2)
    expect(deliveries()[0]).toMatchObject({ outcome: 'duplicate' })
  })

  it('answers the same (repo, ref, after) again with 200 and queues nothing new', async () => {
    await deliver(JSON.stringify(push()))
    rt.index.db.prepare("UPDATE jobs SET state = 'done'").run()
    const res = await deliver(JSON.stringify(push()))
    expect(await res.json()).toEqual({ status: 'ignored', reason: 'duplicate' })
    expect(jobs().filter((j) => j.state === 'queued')).toEqual([])
    // A later move back to an earlier commit is a real change, not a duplicate.
    await deliver(JSON.stringify(push({ before: B, after: C })))
    expect((await deliver(JSON.stringify(push({ before: C, after: B })))).status).toBe(202)
  })

  it('coalesces a storm into one queued job per template', async () => {
    for (let i = 0; i < 200; i++) {
      const after = i.toString(16).padStart(40, '0').replace(/^0/, '1')
      expect((await deliver(JSON.stringify(push({ after })))).status).toBe(202)
    }
    expect(jobs()).toHaveLength(2)
    expect(rt.index.deliveries.list(1000)).toHaveLength(200)
  })

  it.each([
    ['malformed JSON', '{"ref":', 'MALFORMED_JSON'],
    [
      'a push without repository',
      JSON.stringify({ ref: 'refs/heads/main', before: A, after: B }),
      'INVALID_PAYLOAD',
    ],
    ['a push with a bad commit id', JSON.stringify(push({ after: 'main' })), 'INVALID_PAYLOAD'],
    ['a JSON array', '[]', 'INVALID_PAYLOAD'],
  ])('answers %s with 400 and records the delivery as invalid', async (_name, body, code) => {
    const res = await deliver(body)
    expect(res.status).toBe(400)
    expect(await errorCode(res)).toBe(code)
    expect(deliveries()[0]).toMatchObject({ outcome: 'invalid' })
    expect(jobs()).toEqual([])
  })
})

describe('hostile deliveries (property)', () => {
  it('answers only documented statuses and queues nothing without a valid signature', async () => {
    const header = fc.constantFrom(
      'x-gitea-signature',
      'x-forgejo-signature',
      'x-hub-signature-256',
      'x-gitea-event',
      'x-gitea-delivery',
      'content-type',
    )
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string(), fc.json(), fc.constant(JSON.stringify(push()))),
        fc.dictionary(header, fc.string({ maxLength: 80 }), { maxKeys: 6 }),
        async (body, headers) => {
          const safe = Object.fromEntries(
            Object.entries(headers).filter(([, v]) => /^[\x20-\x7e]*$/.test(v)),
          )
          const res = await app.request('/hooks/gitea', { method: 'POST', body, headers: safe })
          expect([400, 401, 413]).toContain(res.status)
          expect(jobs()).toEqual([])
        },
      ),
      { numRuns: 300 },
    )
  })
})
