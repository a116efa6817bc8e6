// The admin API in-process over a real runtime: auth, views with provenance and reasons, pin and
// unpin rules, refresh, verify (re-hash, quarantine, re-queue) and gc.
import { randomBytes } from 'node:crypto'
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { ingest } from '../../src/cache/ingest.js'
import { archive, commitTree } from '../support/git.js'
import { appWithClock, errorCode, type Fixture, fixture, ingestTree } from './read-fixture.js'

const ADMIN = randomBytes(32).toString('hex')
const auth = { Authorization: `Bearer ${ADMIN}` }
const json = { ...auth, 'Content-Type': 'application/json' }

let f: Fixture | null = null
afterEach(() => {
  f?.rt.close()
  f = null
})

async function withAdmin(env: Record<string, string> = {}) {
  f = await fixture({ ASSET_CACHE_ADMIN_TOKEN: ADMIN, ...env })
  return f
}

/** Ingests a tree that is rejected (config.yaml not a mapping) as a new commit of `template`. */
async function ingestRejected(fx: Fixture, template: string) {
  const dir = mkdtempSync(join(tmpdir(), 'asset-cache-repo-'))
  const commit = await commitTree(dir, {
    'config.yaml': '- just\n- a list\n',
    'prompts/a.md': 'a\n',
  })
  const r = await ingest(
    { index: fx.rt.index, store: fx.rt.store, spoolDir: fx.rt.spoolDir, now: fx.rt.now },
    {
      template: fx.rt.index.templates.get(template)!,
      archive: Readable.from([await archive(dir, template)]),
      expectedCommit: commit,
      source: 'webhook',
      provenance: { deliveryId: 'delivery-7' },
    },
  )
  expect(r.status).toBe('rejected')
  return commit
}

const v1 = { 'config.yaml': 'name: seo\n', 'prompts/a.md': 'one\n' }
const v2 = { 'config.yaml': 'name: seo\n', 'prompts/a.md': 'two\n' }

describe('admin auth', () => {
  const routes: [string, string][] = [
    ['GET', '/v1/admin/templates'],
    ['GET', '/v1/admin/templates/seo'],
    ['GET', '/v1/admin/jobs'],
    ['GET', '/v1/admin/deliveries'],
    ['GET', '/v1/admin/store'],
    ['POST', '/v1/admin/templates/seo/refresh'],
    ['PUT', '/v1/admin/templates/seo/pin'],
    ['DELETE', '/v1/admin/templates/seo/pin'],
    ['POST', '/v1/admin/verify'],
    ['POST', '/v1/admin/gc'],
  ]

  it('answers 503 on every admin route when no admin token is configured, even with a bearer', async () => {
    f = await fixture()
    for (const [method, path] of routes) {
      const res = await f.app.request(path, { method, headers: auth })
      expect(res.status, `${method} ${path}`).toBe(503)
      expect(res.headers.get('cache-control')).toBe('no-store')
      expect(await errorCode(res)).toBe('ADMIN_DISABLED')
    }
  })

  it('answers 401 without a token, with a wrong one, and with a read token', async () => {
    const fx = await withAdmin({ ASSET_CACHE_READ_TOKENS: 'reader' })
    for (const [i, [method, path]] of routes.entries()) {
      // Each route from its own client address: wrong tokens are limited per address.
      const env = { incoming: { socket: { remoteAddress: `192.0.2.${i}` } } }
      const variants: Record<string, string>[] = [
        {},
        { Authorization: 'Bearer wrong' },
        { Authorization: `Bearer ${ADMIN}x` },
        { Authorization: ADMIN },
        { Authorization: 'Bearer reader' },
      ]
      for (const headers of variants) {
        const res = await fx.app.request(path, { method, headers }, env)
        expect(res.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(401)
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/)
        expect(res.headers.get('cache-control')).toBe('no-store')
        const body = await res.text()
        expect(body).not.toContain(ADMIN)
      }
    }
    // And the admin token is not a read token.
    const read = await fx.app.request('/v1/templates', { headers: auth })
    expect(read.status).toBe(401)
  })

  it('marks every admin answer no-store: successes and refusals alike', async () => {
    const fx = await withAdmin()
    const all: [string, string][] = [
      ...routes,
      ['GET', '/v1/admin/templates/seo/versions'],
      ['GET', '/v1/admin/templates/nope'],
      ['DELETE', '/v1/admin/templates/seo'],
    ]
    const statuses = new Set<number>()
    for (const [method, path] of all) {
      const res = await fx.app.request(path, { method, headers: auth })
      statuses.add(res.status)
      expect(res.headers.get('cache-control'), `${method} ${path} (${res.status})`).toBe('no-store')
    }
    // Answers of every kind were checked: 200, 202, a 4xx body refusal and a 404.
    expect([...statuses].sort()).toEqual(expect.arrayContaining([200, 202, 400, 404]))
  })

  it('accepts the admin token', async () => {
    const fx = await withAdmin()
    const res = await fx.app.request('/v1/admin/templates', { headers: auth })
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
  })

  it('refuses every admin token from an address after 10 wrong ones, until the minute ends', async () => {
    const fx = await withAdmin()
    let clock = 1_000_000
    const app = appWithClock(fx, () => clock)
    const from = (address: string) => ({ incoming: { socket: { remoteAddress: address } } })
    const call = (token: string, address: string) =>
      app.request(
        '/v1/admin/templates',
        { headers: { Authorization: `Bearer ${token}` } },
        from(address),
      )
    for (let i = 0; i < 10; i++) expect((await call(`guess-${i}`, '198.51.100.7')).status).toBe(401)
    clock += 30_000
    // The right token too: while locked nothing is compared, so a lucky guess teaches nothing.
    const locked = await call(ADMIN, '198.51.100.7')
    expect(locked.status).toBe(429)
    expect(await errorCode(locked)).toBe('TOO_MANY_ATTEMPTS')
    expect(locked.headers.get('retry-after')).toBe('30')
    // Another address is not affected.
    expect((await call(ADMIN, '198.51.100.8')).status).toBe(200)
    clock += 30_000
    expect((await call(ADMIN, '198.51.100.7')).status).toBe(200)
  })
})

describe('admin views', () => {
  it('shows what each template serves, from which commit and delivery, and why the last push was rejected', async () => {
    const fx = await withAdmin()
    const good = await ingestTree(fx.rt, 'seo', v1)
    const bad = await ingestRejected(fx, 'seo')
    const res = await fx.app.request('/v1/admin/templates', { headers: auth })
    const body = (await res.json()) as {
      templates: Array<Record<string, unknown>>
      store: Record<string, number>
    }
    const seo = body.templates.find((t) => t.name === 'seo')!
    expect(seo).toMatchObject({
      health: 'stale',
      digest: good.digest,
      commit: good.commit,
      pinned: null,
      lastError: { code: 'CONFIG_NOT_MAPPING', entry: 'config.yaml', commit: bad },
    })
    expect(typeof seo.since).toBe('number')
    expect(body.templates.find((t) => t.name === 'docs')).toMatchObject({
      health: 'pending',
      digest: null,
    })
    expect(body.store).toMatchObject({ bundles: 1, bytes: good.size, keepVersions: 3 })

    const detail = (await (
      await fx.app.request('/v1/admin/templates/seo', { headers: auth })
    ).json()) as {
      versions: Array<Record<string, unknown>>
      files: Array<{ path: string }>
    }
    expect(detail.versions).toHaveLength(2)
    expect(detail.versions[0]).toMatchObject({
      commit: bad,
      status: 'rejected',
      reasonCode: 'CONFIG_NOT_MAPPING',
      reasonEntry: 'config.yaml',
      deliveryId: 'delivery-7',
      source: 'webhook',
      digest: null,
    })
    expect(detail.versions[0]!.reasonDetail).toEqual(expect.any(String))
    expect(detail.versions[1]).toMatchObject({
      commit: good.commit,
      status: 'ready',
      digest: good.digest,
      current: true,
      fileCount: 2,
      bundleBytes: good.size,
      evicted: false,
    })
    expect(detail.files.map((x) => x.path)).toEqual(['config.yaml', 'prompts/a.md'])
    const missing = await fx.app.request('/v1/admin/templates/nope', { headers: auth })
    expect(missing.status).toBe(404)
    expect(await errorCode(missing)).toBe('UNKNOWN_TEMPLATE')
  })

  it('lists the queue and recent deliveries', async () => {
    const fx = await withAdmin()
    fx.rt.index.jobs.enqueue({ template: 'seo', trigger: 'webhook', deliveryId: 'd-1' }, Date.now())
    fx.rt.index.deliveries.record(
      {
        deliveryId: 'd-1',
        event: 'push',
        repo: 'acme/agent-template-seo',
        ref: 'refs/heads/main',
        after: 'a'.repeat(40),
        outcome: 'queued',
      },
      Date.now(),
    )
    const jobs = (await (await fx.app.request('/v1/admin/jobs', { headers: auth })).json()) as {
      depth: { queued: number }
      queued: Array<Record<string, unknown>>
    }
    expect(jobs.depth.queued).toBe(1)
    expect(jobs.queued[0]).toMatchObject({
      template: 'seo',
      state: 'queued',
      attempts: 0,
      nextAttemptAt: expect.any(Number),
    })
    const deliveries = (await (
      await fx.app.request('/v1/admin/deliveries?limit=5', { headers: auth })
    ).json()) as { deliveries: Array<Record<string, unknown>> }
    expect(deliveries.deliveries[0]).toMatchObject({ deliveryId: 'd-1', outcome: 'queued' })
    const bad = await fx.app.request('/v1/admin/deliveries?limit=0', { headers: auth })
    expect(bad.status).toBe(400)
    expect(await errorCode(bad)).toBe('INVALID_PAYLOAD')
  })
})

describe('pin and unpin', () => {
  const pin = (fx: Fixture, name: string, body: unknown) =>
    fx.app.request(`/v1/admin/templates/${name}/pin`, {
      method: 'PUT',
      headers: json,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })

  it('pins to an older ready version; resolve serves it and says so; unpin restores current', async () => {
    const fx = await withAdmin()
    const a = await ingestTree(fx.rt, 'seo', v1)
    const b = await ingestTree(fx.rt, 'seo', v2)
    const res = await pin(fx, 'seo', { digest: a.digest })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ digest: a.digest, pinned: { digest: a.digest } })
    const resolved = (await (await fx.app.request('/v1/templates/seo')).json()) as Record<
      string,
      unknown
    >
    expect(resolved).toMatchObject({ digest: a.digest, commit: a.commit, pinned: true })
    const list = (await (await fx.app.request('/v1/templates')).json()) as Array<{
      digest: string
    }>
    expect(list.find((t) => t.digest === a.digest)).toBeTruthy()
    const redirect = await fx.app.request('/v1/templates/seo/bundle')
    expect(redirect.headers.get('location')).toBe(`/v1/bundles/${a.digest}`)

    const un = await fx.app.request('/v1/admin/templates/seo/pin', {
      method: 'DELETE',
      headers: auth,
    })
    expect(un.status).toBe(200)
    expect(await un.json()).toMatchObject({ digest: b.digest, pinned: null })
    expect(await (await fx.app.request('/v1/templates/seo')).json()).toMatchObject({
      digest: b.digest,
      pinned: false,
    })
  })

  it('refuses a malformed digest (400), a missing body field (400), bad JSON (400)', async () => {
    const fx = await withAdmin()
    await ingestTree(fx.rt, 'seo', v1)
    for (const [body, code] of [
      [{ digest: 'sha256:XYZ' }, 'INVALID_DIGEST'],
      [{ digest: `sha256:${'A'.repeat(64)}` }, 'INVALID_DIGEST'],
      [{ digest: `sha512:${'a'.repeat(64)}` }, 'INVALID_DIGEST'],
      [{}, 'INVALID_PAYLOAD'],
      [{ digest: 42 }, 'INVALID_PAYLOAD'],
      [{ digest: `sha256:${'a'.repeat(64)}`, extra: 1 }, 'INVALID_PAYLOAD'],
      ['{not json', 'MALFORMED_JSON'],
    ] as const) {
      const res = await pin(fx, 'seo', body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(await errorCode(res)).toBe(code)
    }
    expect(fx.rt.index.templates.get('seo')!.pinnedDigest).toBeNull()
  })

  it("refuses (409) an unknown digest, another template's digest, and an evicted bundle", async () => {
    const fx = await withAdmin({ ASSET_CACHE_KEEP_VERSIONS: '1' })
    const a = await ingestTree(fx.rt, 'seo', v1)
    await ingestTree(fx.rt, 'seo', v2)
    const docs = await ingestTree(fx.rt, 'docs', { 'config.yaml': 'name: docs\n' })
    await ingestRejected(fx, 'seo')
    const unknown = await pin(fx, 'seo', { digest: `sha256:${'0'.repeat(64)}` })
    expect(unknown.status).toBe(409)
    expect(await errorCode(unknown)).toBe('NOT_A_READY_VERSION')
    const foreign = await pin(fx, 'seo', { digest: docs.digest })
    expect(foreign.status).toBe(409)
    expect(await errorCode(foreign)).toBe('NOT_A_READY_VERSION')
    // Evict seo's older version, then try to pin it.
    const gc = await fx.app.request('/v1/admin/gc', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ budget: 0 }),
    })
    expect(
      ((await gc.json()) as { removed: { digest: string }[] }).removed.map((r) => r.digest),
    ).toEqual([a.digest])
    const evicted = await pin(fx, 'seo', { digest: a.digest })
    expect(evicted.status).toBe(409)
    expect(await errorCode(evicted)).toBe('BUNDLE_EVICTED')
    expect(fx.rt.index.templates.get('seo')!.pinnedDigest).toBeNull()
    const nope = await pin(fx, 'nope', { digest: a.digest })
    expect(nope.status).toBe(404)
    expect(await errorCode(nope)).toBe('UNKNOWN_TEMPLATE')
  })
})

describe('refresh, verify and gc', () => {
  it('queues a refresh and wakes the workers', async () => {
    const fx = await withAdmin()
    const res = await fx.app.request('/v1/admin/templates/seo/refresh', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ force: true }),
    })
    expect(res.status).toBe(202)
    expect(await res.json()).toMatchObject({ status: 'queued', created: true })
    expect(fx.enqueued).toHaveLength(1)
    expect(fx.enqueued[0]).toMatchObject({ template: 'seo', trigger: 'admin', force: true })
    const again = await fx.app.request('/v1/admin/templates/seo/refresh', {
      method: 'POST',
      headers: auth,
    })
    expect(await again.json()).toMatchObject({ created: false })
    const unknown = await fx.app.request('/v1/admin/templates/nope/refresh', {
      method: 'POST',
      headers: auth,
    })
    expect(unknown.status).toBe(404)
  })

  it('verify finds a corrupted blob, quarantines it and re-queues the template serving it', async () => {
    const fx = await withAdmin()
    const seo = await ingestTree(fx.rt, 'seo', v1)
    const docs = await ingestTree(fx.rt, 'docs', { 'config.yaml': 'name: docs\n' })
    const file = fx.rt.store.contentPath(seo.digest)
    chmodSync(file, 0o644)
    const bytes = readFileSync(file)
    bytes[600] = bytes[600]! ^ 0xff
    writeFileSync(file, bytes)
    const res = await fx.app.request('/v1/admin/verify', { method: 'POST', headers: auth })
    expect(res.status).toBe(200)
    const report = (await res.json()) as {
      checked: number
      corrupt: { digest: string; code: string }[]
      quarantined: string[]
      requeued: string[]
    }
    expect(report.checked).toBe(2)
    expect(report.corrupt).toEqual([
      expect.objectContaining({ digest: seo.digest, code: 'EINTEGRITY' }),
    ])
    expect(report.quarantined).toEqual([seo.digest])
    expect(report.requeued).toEqual(['seo'])
    expect(existsSync(file)).toBe(false)
    expect(readdirSync(join(fx.rt.store.dir, 'quarantine'))).toHaveLength(1)
    expect(fx.enqueued.map((j) => [j.template, j.force])).toEqual([['seo', true]])
    expect(fx.rt.index.bundles.get(docs.digest)!.lastVerifiedAt).toEqual(expect.any(Number))
    // The corrupt bundle is never served.
    const served = await fx.app.request(`/v1/bundles/${seo.digest}`)
    expect(served.status).not.toBe(200)
  })

  it('gc with a dry run removes nothing; a real run frees the bytes; a bad budget is 400', async () => {
    const fx = await withAdmin({ ASSET_CACHE_KEEP_VERSIONS: '1' })
    const a = await ingestTree(fx.rt, 'seo', v1)
    await ingestTree(fx.rt, 'seo', v2)
    const run = (body: unknown) =>
      fx.app.request('/v1/admin/gc', { method: 'POST', headers: json, body: JSON.stringify(body) })
    const dry = (await (await run({ dryRun: true, budget: '1KiB' })).json()) as {
      removed: { digest: string }[]
      freedBytes: number
      dryRun: boolean
    }
    expect(dry).toMatchObject({ dryRun: true, freedBytes: a.size })
    expect(dry.removed.map((r) => r.digest)).toEqual([a.digest])
    expect(existsSync(fx.rt.store.contentPath(a.digest))).toBe(true)
    // Within the configured 2GiB budget nothing goes.
    expect(await (await run({})).json()).toMatchObject({ removed: [], freedBytes: 0 })
    const real = (await (await run({ budget: 0 })).json()) as { freedBytes: number }
    expect(real.freedBytes).toBe(a.size)
    expect(existsSync(fx.rt.store.contentPath(a.digest))).toBe(false)
    const gone = await fx.app.request(`/v1/bundles/${a.digest}`)
    expect(gone.status).toBe(404)
    // Counted once (the dry run and the no-op run free nothing).
    const metrics = await (await fx.app.request('/metrics')).text()
    expect(metrics).toContain(`asset_cache_gc_freed_bytes_total ${a.size}`)
    expect(metrics).toContain('asset_cache_gc_removed_bundles_total 1')
    expect(metrics).toContain('asset_cache_gc_runs_total 2')
    for (const body of [{ budget: 'lots' }, { budget: -1 }, { dryRun: 'yes' }]) {
      const res = await run(body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(await errorCode(res)).toBe('INVALID_PAYLOAD')
    }
  })

  it('gc drops an evicted bundle from the hot cache', async () => {
    const fx = await withAdmin({ ASSET_CACHE_KEEP_VERSIONS: '1' })
    const a = await ingestTree(fx.rt, 'seo', v1)
    await ingestTree(fx.rt, 'seo', v2)
    expect((await fx.app.request(`/v1/bundles/${a.digest}`)).status).toBe(200) // now hot
    await fx.app.request('/v1/admin/gc', { method: 'POST', headers: json, body: '{"budget":0}' })
    expect((await fx.app.request(`/v1/bundles/${a.digest}`)).status).toBe(404)
  })
})
