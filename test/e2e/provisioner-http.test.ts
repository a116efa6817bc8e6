// The provisioner API's headers and statuses over real HTTP (undici against the node listener).
import { createHash } from 'node:crypto'
import { gunzipSync } from 'node:zlib'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningServer, startServer } from '../../src/http/server.js'
import { silentLogger } from '../../src/log.js'
import { type Ingested, ingestTree } from '../http/read-fixture.js'
import { testConfig } from '../support/runtime.js'

const TOKEN = 'boot-token'
const HASHED = 'hashed-token'
const SCOPED = 'docs-only'
let server: RunningServer
let seo: Ingested

const auth = (token = TOKEN) => ({ authorization: `Bearer ${token}` })
async function get(
  path: string,
  headers: Record<string, string> = auth(),
  method: 'GET' | 'HEAD' = 'GET',
) {
  const res = await request(`${server.url}${path}`, { method, headers })
  const body = Buffer.from(await res.body.arrayBuffer())
  return { status: res.statusCode, headers: res.headers as Record<string, string>, body }
}

beforeAll(async () => {
  const hashed = createHash('sha256').update(HASHED).digest('hex')
  server = await startServer(
    testConfig(
      [
        { name: 'seo', repo: 'acme/seo' },
        { name: 'docs', repo: 'acme/docs' },
        { name: 'empty', repo: 'acme/empty' },
      ],
      { ASSET_CACHE_READ_TOKENS: `${TOKEN},sha256:${hashed},${SCOPED}@docs` },
    ),
    { logger: silentLogger },
  )
  seo = await ingestTree(server.runtime, 'seo', {
    'config.yaml': 'name: seo\n',
    'prompts/a.md': 'a\n'.repeat(5000),
  })
})
afterAll(() => server.close(1_000))

describe('over real HTTP', () => {
  it('resolves with ETag and answers 304 to If-None-Match', async () => {
    const r = await get('/v1/templates/seo')
    expect(r.status).toBe(200)
    expect(r.headers.etag).toBe(`"${seo.digest}"`)
    expect(JSON.parse(r.body.toString())).toMatchObject({
      name: 'seo',
      digest: seo.digest,
      size: seo.size,
    })
    const again = await get('/v1/templates/seo', { ...auth(), 'if-none-match': `"${seo.digest}"` })
    expect([again.status, again.body.length]).toEqual([304, 0])
    expect((await get('/v1/templates/nope')).status).toBe(404)
    const empty = await get('/v1/templates/empty')
    expect(empty.status).toBe(503)
    expect(empty.headers['retry-after']).toBeDefined()
    const redirect = await get('/v1/templates/seo/bundle')
    expect([redirect.status, redirect.headers.location]).toEqual([307, `/v1/bundles/${seo.digest}`])
  })

  it('serves the bundle with its fixed headers, HEAD without a body, and 304', async () => {
    const r = await get(`/v1/bundles/${seo.digest}`)
    expect(r.status).toBe(200)
    expect(r.headers['content-type']).toBe('application/x-tar')
    expect(Number(r.headers['content-length'])).toBe(seo.size)
    expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    const sha = createHash('sha256').update(r.body).digest()
    expect(`sha256:${sha.toString('hex')}`).toBe(seo.digest)
    expect(r.headers['repr-digest']).toBe(`sha-256=:${sha.toString('base64')}:`)
    const head = await get(`/v1/bundles/${seo.digest}`, auth(), 'HEAD')
    expect([head.status, head.body.length, Number(head.headers['content-length'])]).toEqual([
      200,
      0,
      seo.size,
    ])
    expect(
      (await get(`/v1/bundles/${seo.digest}`, { ...auth(), 'if-none-match': `"${seo.digest}"` }))
        .status,
    ).toBe(304)
    expect((await get('/v1/bundles/sha256:XYZ')).status).toBe(400)
    expect((await get(`/v1/bundles/sha256:${'0'.repeat(64)}`)).status).toBe(404)
  })

  it('answers ranges: suffix, open-ended, out of range, several', async () => {
    const full = (await get(`/v1/bundles/${seo.digest}`)).body
    const suffix = await get(`/v1/bundles/${seo.digest}`, { ...auth(), range: 'bytes=-100' })
    expect([suffix.status, suffix.headers['content-range']]).toEqual([
      206,
      `bytes ${seo.size - 100}-${seo.size - 1}/${seo.size}`,
    ])
    expect(suffix.body.equals(full.subarray(seo.size - 100))).toBe(true)
    const open = await get(`/v1/bundles/${seo.digest}`, { ...auth(), range: 'bytes=512-' })
    expect(open.body.equals(full.subarray(512))).toBe(true)
    const out = await get(`/v1/bundles/${seo.digest}`, { ...auth(), range: `bytes=${seo.size}-` })
    expect([out.status, out.headers['content-range']]).toEqual([416, `bytes */${seo.size}`])
    const several = await get(`/v1/bundles/${seo.digest}`, { ...auth(), range: 'bytes=0-1,4-5' })
    expect([several.status, several.body.length]).toEqual([200, seo.size])
  })

  it('gzips when asked, and the inflated bytes hash to the digest', async () => {
    const r = await get(`/v1/bundles/${seo.digest}`, { ...auth(), 'accept-encoding': 'gzip' })
    expect(r.headers['content-encoding']).toBe('gzip')
    const tar = gunzipSync(r.body)
    expect(`sha256:${createHash('sha256').update(tar).digest('hex')}`).toBe(seo.digest)
  })

  it('checks tokens: none, wrong, right, hashed, scoped to another template', async () => {
    expect((await get('/v1/templates/seo', {})).status).toBe(401)
    expect((await get('/v1/templates/seo', auth('wrong'))).status).toBe(401)
    expect((await get('/v1/templates/seo', auth(HASHED))).status).toBe(200)
    expect((await get('/v1/templates/seo', auth(SCOPED))).status).toBe(404)
    expect((await get(`/v1/bundles/${seo.digest}`, auth(SCOPED))).status).toBe(404)
    const listed = JSON.parse((await get('/v1/templates', auth(SCOPED))).body.toString()) as {
      name: string
    }[]
    expect(listed.map((t) => t.name)).toEqual(['docs'])
  })
})
