// The /v2 OCI API in-process over a real runtime: the version check, manifests by tag and digest
// with Accept negotiation, blobs (the layer is the bundle, byte for byte), tags with pagination,
// referrers, OCI error bodies, and credentials (Basic and Bearer, scoped tokens).
import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MEDIA_TYPES } from '../../src/oci/image.js'
import { type Fixture, fixture, ingestTree } from './read-fixture.js'

const READER = 'oci-reader'
const SCOPED = 'oci-docs-only'
const INDEX = MEDIA_TYPES.index
const MANIFEST = MEDIA_TYPES.manifest

let f: Fixture
let seo: { digest: string; commit: string; size: number }
let older: { digest: string; commit: string; size: number }

const basic = (password: string, user = 'anyone') =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`

async function get(path: string, headers: Record<string, string> = {}, method = 'GET') {
  const res = await f.app.request(path, {
    method,
    headers: { authorization: basic(READER), ...headers },
  })
  const body = Buffer.from(await res.arrayBuffer())
  return { status: res.status, headers: res.headers, body, json: () => JSON.parse(body.toString()) }
}

const errorCode = (r: { json: () => { errors: { code: string }[] } }) => r.json().errors[0]!.code

beforeAll(async () => {
  f = await fixture({ ASSET_CACHE_READ_TOKENS: `${READER},${SCOPED}@docs` })
  older = await ingestTree(f.rt, 'seo', { 'config.yaml': 'name: seo\n', 'prompts/a.md': 'old\n' })
  seo = await ingestTree(f.rt, 'seo', {
    'config.yaml': 'name: seo\n',
    'prompts/a.md': 'a\n'.repeat(3000),
    'agent-skills/run.sh': { content: '#!/bin/sh\n', executable: true },
  })
  await ingestTree(f.rt, 'docs', { 'config.yaml': 'name: docs\n' })
})
afterAll(() => f.rt.close())

describe('GET /v2/', () => {
  it('answers {} with the API version to a valid token, 401 with challenges otherwise', async () => {
    const ok = await get('/v2/')
    expect([ok.status, ok.body.toString()]).toEqual([200, '{}'])
    expect(ok.headers.get('docker-distribution-api-version')).toBe('registry/2.0')
    expect((await get('/v2')).status).toBe(200)
    for (const authorization of ['', basic('wrong'), 'Bearer wrong']) {
      const r = await get('/v2/', { authorization, host: 'cache.example:8080' })
      expect(r.status).toBe(401)
      expect(errorCode(r)).toBe('UNAUTHORIZED')
      expect(r.headers.get('www-authenticate')).toBe(
        'Bearer realm="http://cache.example:8080/v2/token",service="asset-cache", Basic realm="asset-cache"',
      )
    }
    expect((await get('/v2/', { authorization: `Bearer ${READER}` })).status).toBe(200)
    expect((await get('/v2/', { authorization: basic(SCOPED, '') })).status).toBe(200)
  })

  it('hands the presented token back from the token endpoint, and refuses a wrong one', async () => {
    const r = await get('/v2/token?service=asset-cache&scope=repository:templates/seo:pull')
    expect(r.status).toBe(200)
    expect(r.json()).toMatchObject({ token: READER, access_token: READER })
    expect(r.headers.get('cache-control')).toBe('no-store')
    const refused = await get('/v2/token', { authorization: basic('wrong') })
    expect(refused.status).toBe(401)
    expect(JSON.stringify(refused.json())).not.toContain('wrong')
  })
})

describe('the Bearer realm with ASSET_CACHE_PUBLIC_URL', () => {
  it('names the public URL (its path kept), whatever Host the request carried', async () => {
    const g = await fixture({
      ASSET_CACHE_READ_TOKENS: READER,
      ASSET_CACHE_PUBLIC_URL: 'https://cache.example.com/assets/',
    })
    try {
      for (const host of ['evil.example', 'a b', '127.0.0.1:8080']) {
        const res = await g.app.request('/v2/templates/seo/manifests/latest', {
          headers: { host, 'x-forwarded-proto': 'http' },
        })
        expect(res.status).toBe(401)
        expect(res.headers.get('www-authenticate')).toBe(
          'Bearer realm="https://cache.example.com/assets/v2/token",service="asset-cache",scope="repository:templates/seo:pull", Basic realm="asset-cache"',
        )
      }
    } finally {
      g.rt.close()
    }
  })

  it('refuses a public URL with credentials, a query or another scheme', async () => {
    for (const bad of [
      'ftp://cache.example',
      'https://u:p@cache.example',
      'https://c.example/?a=1',
    ]) {
      await expect(fixture({ ASSET_CACHE_PUBLIC_URL: bad }), bad).rejects.toThrow(
        /ASSET_CACHE_PUBLIC_URL/,
      )
    }
  })
})

describe('manifests', () => {
  it('serves the index for latest, the ref and the commit, with its digest and length', async () => {
    const latest = await get('/v2/templates/seo/manifests/latest')
    expect(latest.status).toBe(200)
    expect(latest.headers.get('content-type')).toBe(INDEX)
    expect(latest.headers.get('docker-content-digest')).toBe(sha(latest.body))
    expect(Number(latest.headers.get('content-length'))).toBe(latest.body.length)
    const index = latest.json()
    expect(index.annotations['org.opencontainers.image.revision']).toBe(seo.commit)
    expect(
      index.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture),
    ).toEqual(['amd64', 'arm64'])
    for (const tag of ['main', seo.commit]) {
      const r = await get(`/v2/templates/seo/manifests/${tag}`)
      expect(r.body.equals(latest.body), tag).toBe(true)
    }
    const old = await get(`/v2/templates/seo/manifests/${older.commit}`)
    expect(old.json().annotations['org.opencontainers.image.revision']).toBe(older.commit)
  })

  it('serves each platform manifest by digest, and the first one to a client without the index', async () => {
    const index = (await get('/v2/templates/seo/manifests/latest')).json()
    const [amd64] = index.manifests as { digest: string; size: number }[]
    const byDigest = await get(`/v2/templates/seo/manifests/${amd64!.digest}`)
    expect(byDigest.status).toBe(200)
    expect(byDigest.headers.get('content-type')).toBe(MANIFEST)
    expect([sha(byDigest.body), byDigest.body.length]).toEqual([amd64!.digest, amd64!.size])
    expect(byDigest.headers.get('cache-control')).toContain('immutable')
    const manifest = byDigest.json()
    expect(manifest.layers[0]).toMatchObject({ digest: seo.digest, size: seo.size })
    const single = await get('/v2/templates/seo/manifests/latest', { accept: MANIFEST })
    expect(single.body.equals(byDigest.body)).toBe(true)
    expect(single.headers.get('docker-content-digest')).toBe(amd64!.digest)
  })

  it('answers HEAD with the headers of GET and no body', async () => {
    const g = await get('/v2/templates/seo/manifests/latest')
    const h = await get('/v2/templates/seo/manifests/latest', {}, 'HEAD')
    expect([h.status, h.body.length]).toEqual([200, 0])
    for (const name of ['content-type', 'content-length', 'docker-content-digest']) {
      expect(h.headers.get(name), name).toBe(g.headers.get(name))
    }
  })

  it('answers unknown tags and digests MANIFEST_UNKNOWN, malformed digests DIGEST_INVALID', async () => {
    const cases: [string, number, string][] = [
      ['nope', 404, 'MANIFEST_UNKNOWN'],
      [`sha256:${'0'.repeat(64)}`, 404, 'MANIFEST_UNKNOWN'],
      [`sha512:${'0'.repeat(128)}`, 404, 'MANIFEST_UNKNOWN'],
      ['sha256:XYZ', 400, 'DIGEST_INVALID'],
      [seo.digest, 404, 'MANIFEST_UNKNOWN'], // the layer is a blob, not a manifest
    ]
    for (const [ref, status, code] of cases) {
      const r = await get(`/v2/templates/seo/manifests/${ref}`)
      expect([r.status, errorCode(r)], ref).toEqual([status, code])
    }
  })
})

describe('blobs', () => {
  it('serves the layer as the bundle, byte for byte, with Range and no compression', async () => {
    const bundle = (await get(`/v1/bundles/${seo.digest}`, { authorization: `Bearer ${READER}` }))
      .body
    for (let i = 0; i < 2; i++) {
      // A miss first (loads the hot cache), then a hit.
      const r = await get(`/v2/templates/seo/blobs/${seo.digest}`, { 'accept-encoding': 'gzip' })
      expect(r.status).toBe(200)
      expect(r.body.equals(bundle)).toBe(true)
      expect(r.headers.get('content-encoding')).toBeNull()
      expect(r.headers.get('docker-content-digest')).toBe(seo.digest)
      expect(r.headers.get('content-type')).toBe('application/octet-stream')
      expect(Number(r.headers.get('content-length'))).toBe(seo.size)
    }
    const part = await get(`/v2/templates/seo/blobs/${seo.digest}`, { range: 'bytes=10-19' })
    expect([part.status, part.headers.get('content-range')]).toEqual([
      206,
      `bytes 10-19/${seo.size}`,
    ])
    expect(part.body.equals(bundle.subarray(10, 20))).toBe(true)
    const head = await get(`/v2/templates/seo/blobs/${seo.digest}`, {}, 'HEAD')
    expect([head.status, head.body.length, head.headers.get('content-length')]).toEqual([
      200,
      0,
      String(seo.size),
    ])
  })

  it('serves the config blob, whose bytes hash to the manifest descriptor', async () => {
    const index = (await get('/v2/templates/seo/manifests/latest')).json()
    const manifest = (await get(`/v2/templates/seo/manifests/${index.manifests[1].digest}`)).json()
    const r = await get(`/v2/templates/seo/blobs/${manifest.config.digest}`)
    expect([r.status, sha(r.body), r.body.length]).toEqual([
      200,
      manifest.config.digest,
      manifest.config.size,
    ])
    expect(r.json()).toMatchObject({
      architecture: 'arm64',
      os: 'linux',
      rootfs: { diff_ids: [seo.digest] },
    })
  })

  it('scopes blobs to their repository', async () => {
    const r = await get(`/v2/templates/docs/blobs/${seo.digest}`)
    expect([r.status, errorCode(r)]).toEqual([404, 'BLOB_UNKNOWN'])
    const bad = await get('/v2/templates/seo/blobs/sha256:zz')
    expect([bad.status, errorCode(bad)]).toEqual([400, 'DIGEST_INVALID'])
  })
})

describe('tags and referrers', () => {
  it('lists latest, the ref and each commit, paged with n and last', async () => {
    const all = await get('/v2/templates/seo/tags/list')
    expect(all.json()).toEqual({
      name: 'templates/seo',
      tags: [older.commit, seo.commit].sort().concat(['latest', 'main']),
    })
    const page = await get('/v2/templates/seo/tags/list?n=3')
    expect(page.json().tags).toHaveLength(3)
    const link = page.headers.get('link')!
    expect(link).toMatch(/^<\/v2\/templates\/seo\/tags\/list\?n=3&last=[^>]+>; rel="next"$/)
    const next = await get(link.slice(1, link.indexOf('>')))
    expect(next.json().tags).toEqual(['main'])
    expect(next.headers.get('link')).toBeNull()
    const bad = await get('/v2/templates/seo/tags/list?n=-1')
    expect(bad.status).toBe(400)
  })

  it('answers an empty referrers index, with the filter applied when asked', async () => {
    const r = await get(`/v2/templates/seo/referrers/${seo.digest}?artifactType=application/x`)
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toBe(INDEX)
    expect(r.headers.get('oci-filters-applied')).toBe('artifactType')
    expect(r.json()).toEqual({ manifests: [], mediaType: INDEX, schemaVersion: 2 })
    expect((await get('/v2/templates/seo/referrers/sha256:zz')).status).toBe(400)
  })
})

describe('names and scope', () => {
  it('answers NAME_UNKNOWN for unknown, unready-free and out-of-scope names alike', async () => {
    for (const name of ['templates/nope', 'other/seo', 'templates/seo/x']) {
      const r = await get(`/v2/${name}/tags/list`)
      expect([r.status, errorCode(r)], name).toEqual([404, 'NAME_UNKNOWN'])
    }
    const invalid = await get('/v2/Templates/SEO/tags/list')
    expect([invalid.status, errorCode(invalid)]).toEqual([400, 'NAME_INVALID'])
    const empty = await get('/v2/templates/empty/tags/list')
    expect(empty.json()).toEqual({ name: 'templates/empty', tags: [] })
  })

  it('shows a scoped token its templates only, as if the others did not exist', async () => {
    const auth = { authorization: basic(SCOPED) }
    expect((await get('/v2/templates/docs/manifests/latest', auth)).status).toBe(200)
    const paths = [
      '/v2/templates/seo/manifests/latest',
      `/v2/templates/seo/blobs/${seo.digest}`,
      '/v2/templates/seo/tags/list',
      `/v2/templates/seo/referrers/${seo.digest}`,
    ]
    const unknown = (await get('/v2/templates/nope/tags/list', auth)).body.toString()
    for (const path of paths) {
      const r = await get(path, auth)
      expect([r.status, errorCode(r)], path).toEqual([404, 'NAME_UNKNOWN'])
      expect(r.body.toString().replace('seo', 'nope')).toBe(unknown)
    }
  })

  it('refuses pushes with 405 UNSUPPORTED, after the credentials', async () => {
    const r = await get('/v2/templates/seo/blobs/uploads/', {}, 'POST')
    expect([r.status, errorCode(r), r.headers.get('allow')]).toEqual([
      405,
      'UNSUPPORTED',
      'GET, HEAD',
    ])
    expect(
      (await get('/v2/templates/seo/manifests/latest', { authorization: '' }, 'PUT')).status,
    ).toBe(401)
  })
})
