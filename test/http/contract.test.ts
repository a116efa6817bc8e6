// The response schemas of the route table are a contract, not decoration: every route is called
// in-process over a real runtime, and each answer's status must be one the table declares, a JSON
// body must parse with the schema declared for that status (with no field the schema leaves out),
// and an error body must carry one of the codes declared for that status.
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto'
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keyidOf } from '../../src/attest/keys.js'
import { signVersion } from '../../src/attest/sign.js'
import { ingest } from '../../src/cache/ingest.js'
import {
  attestationList,
  bundleManifest,
  errorBodySchema,
} from '../../src/http/openapi/responses.js'
import { deliveryList, verifyReport } from '../../src/http/openapi/responses-admin.js'
import type { RouteSpec } from '../../src/http/openapi/route-spec.js'
import { OPERATIONS as ROUTES } from '../../src/http/operations.js'
import { archive, commitTree } from '../support/git.js'
import { type Fixture, fixture, ingestTree } from './read-fixture.js'

const ADMIN = randomBytes(32).toString('hex')
const READER = 'reader-token-contract'
const SECRET = 'webhook-secret-contract'

interface Call {
  params?: Record<string, string>
  query?: string
  body?: string
  headers?: Record<string, string>
  /** Send the credentials the operation's security asks for (default true). */
  auth?: boolean
}

/** `operationId status` of every answer checked. */
const checked = new Set<string>()

const spec = (operationId: string): RouteSpec => {
  const s = ROUTES.find((r) => r.operationId === operationId)
  if (!s) throw new Error(`no operation ${operationId}`)
  return s
}

function credentials(s: RouteSpec): Record<string, string> {
  if (s.security === 'read') return { Authorization: `Bearer ${READER}` }
  if (s.security === 'admin') return { Authorization: `Bearer ${ADMIN}` }
  return {}
}

/** Checks one answer against what the table declares for its operation and status. */
async function conforms(s: RouteSpec, res: Response): Promise<void> {
  const where = `${s.operationId} ${res.status}`
  const declared = s.responses[res.status]
  expect(declared, `${where}: status not declared`).toBeDefined()
  checked.add(where)
  const text = await res.clone().text()
  if (s.method === 'head') {
    expect(text, where).toBe('')
    return
  }
  if (declared!.json) {
    expect(res.headers.get('content-type'), where).toMatch(/^application\/json/)
    const body = JSON.parse(text) as unknown
    const parsed = declared!.json.safeParse(body)
    expect(parsed.error?.issues ?? [], where).toEqual([])
    // Object schemas strip what they do not name: an undocumented field shows up here.
    expect(parsed.data, `${where}: fields the schema does not declare`).toEqual(body)
  } else if (declared!.errors) {
    const body = errorBodySchema.parse(JSON.parse(text))
    expect(declared!.errors, where).toContain(body.error.code)
    expect(body.error.requestId, where).toBe(res.headers.get('x-request-id'))
  } else if (declared!.media) {
    expect(res.headers.get('content-type'), where).toContain(declared!.media.type)
    expect(text.length, where).toBeGreaterThan(0)
  } else {
    expect(text, `${where}: a body where none is declared`).toBe('')
  }
  for (const name of Object.keys(declared!.headers ?? {})) {
    // Repr-Digest is absent from gzipped-on-the-fly answers (documented), never from these.
    expect(res.headers.has(name), `${where}: header ${name}`).toBe(true)
  }
}

/** Calls an operation by its table entry: the table's method and path must reach the handler. */
async function call(f: Fixture, operationId: string, c: Call = {}): Promise<Response> {
  const s = spec(operationId)
  const path = s.path.replace(/\{(\w+)\}/g, (_, k: string) => {
    const v = c.params?.[k]
    if (v === undefined) throw new Error(`${operationId}: no value for {${k}}`)
    return encodeURIComponent(v)
  })
  const res = await f.app.request(`${path}${c.query ? `?${c.query}` : ''}`, {
    method: s.method.toUpperCase(),
    headers: { ...(c.auth === false ? {} : credentials(s)), ...c.headers },
    ...(c.body !== undefined ? { body: c.body } : {}),
  })
  await conforms(s, res)
  return res
}

const hmac = (body: string) => createHmac('sha256', SECRET).update(body).digest('hex')

function delivery(payload: unknown, event = 'push', extra: Record<string, string> = {}) {
  const body = JSON.stringify(payload)
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-gitea-event': event,
      'x-gitea-delivery': crypto.randomUUID(),
      'x-gitea-signature': hmac(body),
      ...extra,
    },
  }
}

const push = (before: string, after: string, ref = 'refs/heads/main') => ({
  ref,
  before,
  after,
  repository: { full_name: 'acme/agent-template-seo' },
})

let f: Fixture
/** The same data with nothing configured: admin and webhook answer 503. */
let bare: Fixture
let seo: { digest: string; commit: string; size: number }
let older: { digest: string }

beforeAll(async () => {
  f = await fixture({
    ASSET_CACHE_ADMIN_TOKEN: ADMIN,
    ASSET_CACHE_READ_TOKENS: READER,
    ASSET_CACHE_WEBHOOK_SECRET: SECRET,
    ASSET_CACHE_URL_KEY: randomBytes(32).toString('hex'),
    ASSET_CACHE_WEBHOOK_MAX_BODY: '1MiB',
  })
  bare = await fixture()
  older = await ingestTree(f.rt, 'seo', { 'config.yaml': 'name: seo\n', 'prompts/a.md': 'one\n' })
  seo = await ingestTree(f.rt, 'seo', {
    'config.yaml': 'name: seo\n',
    'prompts/a.md': 'two\n',
    'agent-skills/run.sh': { content: '#!/bin/sh\n', executable: true },
  })
  await ingestTree(f.rt, 'docs', { 'config.yaml': 'name: docs\n' })
  // A rejected version of docs (config.yaml not a mapping), so views carry a reason and lastError.
  const dir = mkdtempSync(join(tmpdir(), 'asset-cache-repo-'))
  const commit = await commitTree(dir, { 'config.yaml': '- a\n- list\n' })
  await ingest(
    { index: f.rt.index, store: f.rt.store, spoolDir: f.rt.spoolDir, now: f.rt.now },
    {
      template: f.rt.index.templates.get('docs')!,
      archive: Readable.from([await archive(dir, 'docs')]),
      expectedCommit: commit,
      source: 'webhook',
      provenance: { deliveryId: 'contract-1' },
    },
  )
})
afterAll(() => {
  f.rt.close()
  bare.rt.close()
})

describe('operations', () => {
  it('healthz, readyz, metrics, openapi.json', async () => {
    await call(f, 'getHealth')
    await call(f, 'getReadiness') // `empty` has nothing ready: 503 with the report
    await call(f, 'getMetrics')
    await call(f, 'getOpenApi')
  })
})

describe('webhook', () => {
  const B = 'b'.repeat(40)
  const C = 'c'.repeat(40)

  it('queued, ok, ignored', async () => {
    expect((await call(f, 'receiveGiteaWebhook', delivery(push(B, C)))).status).toBe(202)
    expect((await call(f, 'receiveGiteaWebhook', delivery(push(C, C)))).status).toBe(200)
    const tag = delivery(push(B, C, 'refs/tags/v1'))
    expect(await (await call(f, 'receiveGiteaWebhook', tag)).json()).toMatchObject({
      status: 'ignored',
    })
    const other = delivery({ ref: 'x', repository: { full_name: 'acme/docs' } }, 'create')
    expect((await call(f, 'receiveGiteaWebhook', other)).status).toBe(200)
  })

  it('refusals', async () => {
    const d = delivery(push(B, C))
    const wrong = { ...d.headers, 'x-gitea-signature': 'f'.repeat(64) }
    expect((await call(f, 'receiveGiteaWebhook', { ...d, headers: wrong })).status).toBe(401)
    const bad = { body: '{nope', headers: { ...d.headers, 'x-gitea-signature': hmac('{nope') } }
    expect((await call(f, 'receiveGiteaWebhook', bad)).status).toBe(400)
    const invalid = delivery({ ref: 'refs/heads/main', before: 'x', after: 'y', repository: {} })
    expect((await call(f, 'receiveGiteaWebhook', invalid)).status).toBe(400)
    const text = { ...d, headers: { ...d.headers, 'content-type': 'text/plain' } }
    expect((await call(f, 'receiveGiteaWebhook', text)).status).toBe(400)
    const big = 'x'.repeat(1024 * 1024 + 1)
    const large = { body: big, headers: { ...d.headers, 'x-gitea-signature': hmac(big) } }
    expect((await call(f, 'receiveGiteaWebhook', large)).status).toBe(413)
    expect((await call(bare, 'receiveGiteaWebhook', d)).status).toBe(503)
  })
})

describe('provisioner API', () => {
  it('templates', async () => {
    const list = await (await call(f, 'listTemplates')).json()
    expect(list).toContainEqual(expect.objectContaining({ name: 'empty', status: 'pending' }))
    expect((await call(f, 'listTemplates', { auth: false })).status).toBe(401)
    const one = await call(f, 'getTemplate', { params: { name: 'seo' } })
    expect(one.status).toBe(200)
    const etag = one.headers.get('etag')!
    const again = { params: { name: 'seo' }, headers: { 'if-none-match': etag } }
    expect((await call(f, 'getTemplate', again)).status).toBe(304)
    expect((await call(f, 'getTemplate', { params: { name: 'nope' } })).status).toBe(404)
    expect((await call(f, 'getTemplate', { params: { name: 'empty' } })).status).toBe(503)
    expect((await call(f, 'redirectTemplateBundle', { params: { name: 'seo' } })).status).toBe(307)
    await call(f, 'redirectTemplateBundle', { params: { name: 'empty' } })
    await call(f, 'redirectTemplateBundle', { params: { name: 'nope' } })
    const versions = await call(f, 'listTemplateVersions', { params: { name: 'docs' } })
    expect(await versions.json()).toContainEqual(expect.objectContaining({ status: 'rejected' }))
    await call(f, 'listTemplateVersions', { params: { name: 'nope' } })
  })

  it('bundles', async () => {
    const digest = { digest: seo.digest }
    expect((await call(f, 'getBundle', { params: digest })).status).toBe(200)
    const range = { params: digest, headers: { range: 'bytes=0-9' } }
    expect((await call(f, 'getBundle', range)).status).toBe(206)
    const cached = { params: digest, headers: { 'if-none-match': `"${seo.digest}"` } }
    expect((await call(f, 'getBundle', cached)).status).toBe(304)
    const past = { params: digest, headers: { range: `bytes=${seo.size + 10}-` } }
    expect((await call(f, 'getBundle', past)).status).toBe(416)
    expect((await call(f, 'getBundle', { params: { digest: 'sha256:XYZ' } })).status).toBe(400)
    const unknown = { digest: `sha256:${'0'.repeat(64)}` }
    expect((await call(f, 'getBundle', { params: unknown })).status).toBe(404)
    expect((await call(f, 'getBundle', { params: digest, auth: false })).status).toBe(401)
    expect((await call(f, 'headBundle', { params: digest })).status).toBe(200)
    expect((await call(f, 'headBundle', range)).status).toBe(206)
    expect((await call(f, 'headBundle', cached)).status).toBe(304)
    expect((await call(f, 'headBundle', { params: unknown })).status).toBe(404)
    const manifest = await call(f, 'getBundleManifest', { params: digest })
    expect(bundleManifest.parse(await manifest.json()).length).toBeGreaterThan(0)
    await call(f, 'getBundleManifest', { params: { digest: 'sha256:XYZ' } })
    await call(f, 'getBundleManifest', { params: unknown })
    expect(await (await call(f, 'getBundleAttestations', { params: digest })).json()).toEqual([])
    const { privateKey, publicKey } = generateKeyPairSync('ed25519')
    const key = { privateKey, publicKey, keyid: keyidOf(publicKey) }
    const version = f.rt.index.versions.readyWithDigest('seo', seo.digest)!
    expect(signVersion(f.rt.index, key, version.id, Date.now())).toBe('signed')
    const signed = await call(f, 'getBundleAttestations', { params: digest })
    expect(attestationList.parse(await signed.json())).toHaveLength(1)
    await call(f, 'getBundleAttestations', { params: { digest: 'sha256:XYZ' } })
    await call(f, 'getBundleAttestations', { params: unknown })
    await call(f, 'getBundleAttestations', { params: digest, auth: false })
  })

  it('signed URLs', async () => {
    const json = { 'content-type': 'application/json' }
    const mint = (body: unknown, on = f) =>
      call(on, 'mintSignedUrl', { headers: json, body: JSON.stringify(body) })
    const minted = await mint({ template: 'seo', ttl: '5m' })
    expect(minted.status).toBe(200)
    const { path } = (await minted.json()) as { path: string }
    const query = path.split('?')[1]!
    const signed = { params: { digest: path.split('?')[0]!.split('/').pop()! }, query, auth: false }
    expect((await call(f, 'getBundle', signed)).status).toBe(200)
    expect((await call(f, 'headBundle', signed)).status).toBe(200)
    const altered = { ...signed, query: query.replace('expires=', 'expires=1') }
    expect((await call(f, 'getBundle', altered)).status).toBe(403)
    expect((await mint({ digest: seo.digest })).status).toBe(200)
    expect((await mint({ template: 'seo', digest: seo.digest })).status).toBe(400)
    expect((await mint({ template: 'seo', ttl: '2d' })).status).toBe(400)
    expect((await mint({ template: 'nope' })).status).toBe(404)
    expect((await mint({ digest: `sha256:${'0'.repeat(64)}` })).status).toBe(404)
    expect((await mint({ template: 'empty' })).status).toBe(503)
    expect((await mint({ template: 'seo' }, bare)).status).toBe(503)
  })
})

describe('admin API', () => {
  it('views', async () => {
    await call(f, 'adminListTemplates')
    expect((await call(f, 'adminListTemplates', { auth: false })).status).toBe(401)
    expect((await call(bare, 'adminListTemplates')).status).toBe(503)
    for (const name of ['seo', 'docs', 'empty']) {
      await call(f, 'adminGetTemplate', { params: { name }, query: 'limit=5' })
      await call(f, 'adminListTemplateVersions', { params: { name } })
    }
    await call(f, 'adminGetTemplate', { params: { name: 'seo' }, query: 'limit=0' })
    await call(f, 'adminGetTemplate', { params: { name: 'nope' } })
    await call(f, 'adminListTemplateVersions', { params: { name: 'nope' } })
    await call(f, 'adminListJobs')
    await call(f, 'adminListJobs', { query: 'limit=x' })
    const deliveries = await call(f, 'adminListDeliveries', { query: 'limit=50' })
    expect(deliveryList.parse(await deliveries.json()).deliveries.length).toBeGreaterThan(0)
    await call(f, 'adminGetStore')
  })

  it('refresh, pin, unpin', async () => {
    const json = { 'content-type': 'application/json' }
    const seoName = { name: 'seo' }
    expect((await call(f, 'adminRefreshTemplate', { params: seoName })).status).toBe(202)
    const forced = { params: seoName, headers: json, body: '{"force":true}' }
    expect((await call(f, 'adminRefreshTemplate', forced)).status).toBe(202)
    const extra = { params: seoName, headers: json, body: '{"nope":1}' }
    expect((await call(f, 'adminRefreshTemplate', extra)).status).toBe(400)
    await call(f, 'adminRefreshTemplate', { params: { name: 'nope' } })
    const pin = (name: string, body: string) =>
      call(f, 'adminPinTemplate', { params: { name }, headers: json, body })
    expect((await pin('seo', JSON.stringify({ digest: older.digest }))).status).toBe(200)
    expect((await pin('seo', '{"digest":"sha256:XYZ"}')).status).toBe(400)
    expect((await pin('seo', '{')).status).toBe(400)
    expect((await pin('seo', `{"digest":"sha256:${'0'.repeat(64)}"}`)).status).toBe(409)
    expect((await pin('nope', JSON.stringify({ digest: older.digest }))).status).toBe(404)
    // Pinned views: the admin list, the detail, and the provisioner's answer.
    await call(f, 'adminListTemplates')
    await call(f, 'adminGetTemplate', { params: seoName })
    await call(f, 'getTemplate', { params: seoName })
    await call(f, 'adminListJobs')
    expect((await call(f, 'adminUnpinTemplate', { params: seoName })).status).toBe(200)
    await call(f, 'adminUnpinTemplate', { params: { name: 'nope' } })
  })

  it('forget', async () => {
    f.rt.index.templates.ensureLocal('hand', { allow: ['config.yaml'], require: [] }, Date.now())
    await ingestTree(f.rt, 'hand', { 'config.yaml': 'name: hand\n' })
    const forget = (name: string) => call(f, 'adminForgetTemplate', { params: { name } })
    expect((await forget('hand')).status).toBe(200)
    expect((await forget('seo')).status).toBe(409)
    expect((await forget('hand')).status).toBe(404)
  })

  it('verify and gc', async () => {
    const json = { 'content-type': 'application/json' }
    // A corrupt blob, so the verify report lists one.
    const file = f.rt.store.contentPath(older.digest)
    chmodSync(file, 0o644)
    const bytes = readFileSync(file)
    bytes[600] = bytes[600]! ^ 0xff
    writeFileSync(file, bytes)
    const report = verifyReport.parse(await (await call(f, 'adminVerifyStore')).json())
    expect(report.corrupt.length).toBe(1)
    const dry = { headers: json, body: '{"dryRun":true,"budget":"1KiB"}' }
    expect((await call(f, 'adminCollectGarbage', dry)).status).toBe(200)
    expect((await call(f, 'adminCollectGarbage')).status).toBe(200)
    const bad = { headers: json, body: '{"budget":"lots"}' }
    expect((await call(f, 'adminCollectGarbage', bad)).status).toBe(400)
  })
})

describe('coverage', () => {
  /** Successes this fixture cannot cause: `empty` never has a version, and fetching is off. */
  const NOT_CAUSED = new Set(['getReadiness 200'])

  it('every operation was called, with each non-error status it declares', () => {
    const missing: string[] = []
    for (const s of ROUTES) {
      for (const status of Object.keys(s.responses)) {
        const key = `${s.operationId} ${status}`
        if (Number(status) < 400 && !NOT_CAUSED.has(key) && !checked.has(key)) {
          missing.push(key)
        }
      }
    }
    expect(missing).toEqual([])
  })
})
