import { createHash, randomBytes } from 'node:crypto'
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import fc from 'fast-check'
import { request } from 'undici'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { HotCache, hotBundle } from '../../src/http/fast-path/hot-cache.js'
import { type RunningServer, startServer } from '../../src/http/server.js'
import { silentLogger } from '../../src/log.js'
import { testConfig } from '../support/runtime.js'
import { errorCode, ingestTree, seoPerTest, TEMPLATES } from './read-fixture.js'

const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`
const reprOf = (digest: string) =>
  `sha-256=:${Buffer.from(digest.slice(7), 'hex').toString('base64')}:`

const f = seoPerTest()
let url: string

beforeEach(() => {
  url = `/v1/bundles/${f.seo.digest}`
})

const get = (headers: Record<string, string> = {}, method = 'GET', path = url) =>
  f.app.request(path, { method, headers })

function corruptOnDisk(digest: string): void {
  const file = f.rt.store.contentPath(digest)
  chmodSync(file, 0o644)
  const bytes = readFileSync(file)
  bytes[Math.floor(bytes.length / 2)]! ^= 0xff
  writeFileSync(file, bytes)
}

describe('GET /v1/bundles/{digest}', () => {
  it('serves the canonical tar with every caching header', async () => {
    const res = await get()
    expect(res.status).toBe(200)
    const body = new Uint8Array(await res.arrayBuffer())
    expect(sha(body)).toBe(f.seo.digest)
    expect(body.length).toBe(f.seo.size)
    expect(res.headers.get('content-type')).toBe('application/x-tar')
    expect(res.headers.get('content-length')).toBe(String(f.seo.size))
    expect(res.headers.get('etag')).toBe(`"${f.seo.digest}"`)
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(res.headers.get('repr-digest')).toBe(reprOf(f.seo.digest))
    expect(res.headers.get('accept-ranges')).toBe('bytes')
    expect(res.headers.get('vary')).toBe('Accept-Encoding')
  })

  it('answers the same from the hot cache on the second request', async () => {
    const a = new Uint8Array(await (await get()).arrayBuffer())
    const res = await get()
    expect(res.headers.get('repr-digest')).toBe(reprOf(f.seo.digest))
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(a))).toBe(true)
  })

  it('answers HEAD with the headers and no body', async () => {
    const res = await get({}, 'HEAD')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-length')).toBe(String(f.seo.size))
    expect(res.headers.get('etag')).toBe(`"${f.seo.digest}"`)
    expect((await res.arrayBuffer()).byteLength).toBe(0)
  })

  it.each([`"DIGEST"`, `W/"DIGEST"`, `"x", "DIGEST"`, '*'])(
    'answers 304 to If-None-Match %s',
    async (tag) => {
      const res = await get({ 'if-none-match': tag.replace('DIGEST', f.seo.digest) })
      expect(res.status).toBe(304)
      expect(res.headers.get('etag')).toBe(`"${f.seo.digest}"`)
      expect((await res.arrayBuffer()).byteLength).toBe(0)
    },
  )

  it('records the serve, at most once a minute', async () => {
    expect(f.rt.index.bundles.get(f.seo.digest)!.lastServedAt).toBeNull()
    await get()
    const first = f.rt.index.bundles.get(f.seo.digest)!.lastServedAt
    expect(first).not.toBeNull()
    await get()
    expect(f.rt.index.bundles.get(f.seo.digest)!.lastServedAt).toBe(first)
  })
})

describe('Range', () => {
  const ranged = async (range: string) => {
    const full = new Uint8Array(await (await get()).arrayBuffer())
    const res = await get({ range })
    return { res, full, body: new Uint8Array(await res.arrayBuffer()) }
  }

  it('serves a closed range', async () => {
    const { res, full, body } = await ranged('bytes=10-19')
    expect(res.status).toBe(206)
    expect(res.headers.get('content-range')).toBe(`bytes 10-19/${f.seo.size}`)
    expect(res.headers.get('content-length')).toBe('10')
    expect(Buffer.from(body).equals(Buffer.from(full.subarray(10, 20)))).toBe(true)
  })

  it('serves an open-ended range', async () => {
    const { res, full, body } = await ranged(`bytes=${f.seo.size - 100}-`)
    expect(res.status).toBe(206)
    expect(res.headers.get('content-range')).toBe(
      `bytes ${f.seo.size - 100}-${f.seo.size - 1}/${f.seo.size}`,
    )
    expect(Buffer.from(body).equals(Buffer.from(full.subarray(f.seo.size - 100)))).toBe(true)
  })

  it('serves a suffix range, clamped to the size', async () => {
    const { res, full, body } = await ranged('bytes=-5')
    expect(res.status).toBe(206)
    expect(Buffer.from(body).equals(Buffer.from(full.subarray(f.seo.size - 5)))).toBe(true)
    const all = await get({ range: `bytes=-${f.seo.size * 2}` })
    expect(all.status).toBe(206)
    expect(all.headers.get('content-range')).toBe(`bytes 0-${f.seo.size - 1}/${f.seo.size}`)
  })

  it('clamps an end past the size', async () => {
    const res = await get({ range: `bytes=0-${f.seo.size + 50}` })
    expect(res.status).toBe(206)
    expect(res.headers.get('content-range')).toBe(`bytes 0-${f.seo.size - 1}/${f.seo.size}`)
  })

  it.each(['bytes=SIZE-', 'bytes=-0'])('answers 416 to %s', async (range) => {
    const res = await get({ range: range.replace('SIZE', String(f.seo.size)) })
    expect(res.status).toBe(416)
    expect(res.headers.get('content-range')).toBe(`bytes */${f.seo.size}`)
  })

  it.each(['bytes=0-1,5-9', 'bytes=5-2', 'items=0-1', 'bytes=x-y'])(
    'answers 200 with the full body to %s',
    async (range) => {
      const res = await get({ range })
      expect(res.status).toBe(200)
      expect(sha(new Uint8Array(await res.arrayBuffer()))).toBe(f.seo.digest)
    },
  )

  it('prefers 304 over a range when the ETag matches', async () => {
    const res = await get({ range: 'bytes=0-1', 'if-none-match': `"${f.seo.digest}"` })
    expect(res.status).toBe(304)
  })
})

describe('gzip', () => {
  it('gzips when asked; the gunzipped bytes hash to the digest', async () => {
    const res = await get({ 'accept-encoding': 'br;q=0.5, gzip' })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-encoding')).toBe('gzip')
    expect(res.headers.get('vary')).toBe('Accept-Encoding')
    const gz = Buffer.from(await res.arrayBuffer())
    expect(res.headers.get('content-length')).toBe(String(gz.length))
    expect(res.headers.get('repr-digest')).toBe(reprOf(sha(gz)))
    expect(sha(gunzipSync(gz))).toBe(f.seo.digest)
  })

  it('does not gzip for gzip;q=0 or a range', async () => {
    expect((await get({ 'accept-encoding': 'gzip;q=0' })).headers.get('content-encoding')).toBe(
      null,
    )
    const res = await get({ 'accept-encoding': 'gzip', range: 'bytes=0-9' })
    expect(res.status).toBe(206)
    expect(res.headers.get('content-encoding')).toBe(null)
  })
})

describe('errors', () => {
  it.each([
    `sha256:${'A'.repeat(64)}`,
    `sha512:${'a'.repeat(64)}`,
    `sha256:${'a'.repeat(63)}`,
    'a'.repeat(64),
    `sha256:${'a'.repeat(64)}%20`,
  ])('answers 400 INVALID_DIGEST to %s', async (d) => {
    const res = await get({}, 'GET', `/v1/bundles/${d}`)
    expect(res.status).toBe(400)
    expect(await errorCode(res)).toBe('INVALID_DIGEST')
  })

  it('answers 404 to a digest it does not know', async () => {
    const res = await get({}, 'GET', `/v1/bundles/sha256:${'0'.repeat(64)}`)
    expect(res.status).toBe(404)
    expect(await errorCode(res)).toBe('NOT_FOUND')
  })

  it('answers 404 when the index knows the digest but the store lost it', async () => {
    await f.rt.store.remove(f.seo.digest)
    expect((await get()).status).toBe(404)
  })

  it('never answers 500 to an arbitrary digest in the URL', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'binary' }),
          fc.stringMatching(/^sha256:[0-9a-fA-F]{60,68}$/),
        ),
        async (s) => {
          const res = await get({}, 'GET', `/v1/bundles/${encodeURIComponent(s)}`)
          expect([400, 404]).toContain(res.status)
          const manifest = await get({}, 'GET', `/v1/bundles/${encodeURIComponent(s)}/manifest`)
          expect([400, 404]).toContain(manifest.status)
        },
      ),
      { numRuns: 300 },
    )
  })
})

describe('manifest', () => {
  it('lists the files of a bundle', async () => {
    const res = await get({}, 'GET', `${url}/manifest`)
    expect(res.status).toBe(200)
    const files = (await res.json()) as {
      path: string
      size: number
      sha256: string
      mode: number
    }[]
    expect(files.map((x) => x.path)).toEqual(['config.yaml', 'prompts/a.md'])
    expect(files[0]).toMatchObject({ size: 10, sha256: sha(Buffer.from('name: seo\n')).slice(7) })
    expect(typeof files[0]!.mode).toBe('number')
  })
})

describe('a corrupt blob', () => {
  it('is never served: 5xx, quarantined, refresh queued', async () => {
    corruptOnDisk(f.seo.digest)
    const res = await get()
    expect(res.status).toBeGreaterThanOrEqual(500)
    const body = (await res.json()) as { error: { code: string; message: string } }
    expect(body.error.code).toBe('BUNDLE_CORRUPT')
    expect(body.error.message).not.toMatch(/mismatch|expected|found|\//)
    expect(await f.rt.store.has(f.seo.digest)).toBeNull()
    const jobs = f.rt.index.jobs.list()
    expect(jobs.map((j) => [j.template, j.force, j.state])).toEqual([['seo', true, 'queued']])
    expect(f.enqueued.map((j) => j.template)).toEqual(['seo'])
    expect((await get()).status).toBe(404)
  })

  it('is caught while streaming a large bundle: body never completes', async () => {
    const big = await ingestTree(f.rt, 'docs', {
      'config.yaml': 'name: docs\n',
      'prompts/big.bin': randomBytes(1536 * 1024),
    })
    corruptOnDisk(big.digest)
    const res = await get({}, 'GET', `/v1/bundles/${big.digest}`)
    await expect(res.arrayBuffer()).rejects.toThrow()
    await expect.poll(() => f.rt.store.has(big.digest)).toBeNull()
    await expect.poll(() => f.enqueued.map((j) => j.template)).toEqual(['docs'])
  })
})

describe('large bundles (streamed)', () => {
  let big: { digest: string; size: number }
  beforeEach(async () => {
    big = await ingestTree(f.rt, 'docs', {
      'config.yaml': 'name: docs\n',
      'prompts/big.bin': randomBytes(1536 * 1024),
    })
  })
  const path = () => `/v1/bundles/${big.digest}`

  it('streams, ranges and gzips', async () => {
    const full = await get({}, 'GET', path())
    expect(full.status).toBe(200)
    expect(full.headers.get('content-length')).toBe(String(big.size))
    expect(full.headers.get('repr-digest')).toBe(reprOf(big.digest))
    const bytes = Buffer.from(await full.arrayBuffer())
    expect(sha(bytes)).toBe(big.digest)

    const part = await get({ range: 'bytes=-1000' }, 'GET', path())
    expect(part.status).toBe(206)
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(big.size - 1000))).toBe(true)

    const gz = await get({ 'accept-encoding': 'gzip' }, 'GET', path())
    expect(gz.headers.get('content-encoding')).toBe('gzip')
    expect(sha(gunzipSync(Buffer.from(await gz.arrayBuffer())))).toBe(big.digest)

    const head = await get({}, 'HEAD', path())
    expect(head.headers.get('content-length')).toBe(String(big.size))
    expect((await head.arrayBuffer()).byteLength).toBe(0)

    expect((await get({ range: `bytes=${big.size}-` }, 'GET', path())).status).toBe(416)
    const notModified = await get({ 'if-none-match': `W/"${big.digest}"` }, 'GET', path())
    expect(notModified.status).toBe(304)
    expect(notModified.headers.get('etag')).toBe(`"${big.digest}"`)
  })
})

describe('HotCache', () => {
  it('evicts least recently used entries past its byte budget', () => {
    const entry = (n: number) => hotBundle(`sha256:${String(n).repeat(64)}`, Buffer.alloc(1000, n))
    const one = entry(1)
    const cache = new HotCache(one.bytes * 2 + 10)
    cache.set(one)
    cache.set(entry(2))
    expect(cache.get(one.digest)).toBe(one) // 1 is now the most recent
    cache.set(entry(3))
    expect(cache.get(one.digest)).toBe(one)
    expect(cache.get(`sha256:${'2'.repeat(64)}`)).toBeUndefined()
    expect(cache.bytes).toBeLessThanOrEqual(one.bytes * 2 + 10)
  })
})

describe('over real HTTP', () => {
  let server: RunningServer
  afterEach(() => server?.close())

  it('serves resolve → bundle with gzip, range and 304 through startServer', async () => {
    server = await startServer(testConfig(TEMPLATES, { ASSET_CACHE_READ_TOKENS: 'secret-tok' }), {
      logger: silentLogger,
    })
    const one = await ingestTree(server.runtime, 'seo', { 'config.yaml': 'name: seo\n' })
    const auth = { authorization: 'Bearer secret-tok' }

    const denied = await request(`${server.url}/v1/templates/seo`)
    expect(denied.statusCode).toBe(401)
    expect(denied.headers['www-authenticate']).toMatch(/^Bearer/)
    await denied.body.dump()

    const resolved = await request(`${server.url}/v1/templates/seo`, { headers: auth })
    expect(resolved.statusCode).toBe(200)
    const meta = (await resolved.body.json()) as { bundleUrl: string; digest: string }
    expect(meta.digest).toBe(one.digest)

    const gz = await request(`${server.url}${meta.bundleUrl}`, {
      headers: { ...auth, 'accept-encoding': 'gzip' },
    })
    expect(gz.statusCode).toBe(200)
    expect(gz.headers['content-encoding']).toBe('gzip')
    expect(sha(gunzipSync(Buffer.from(await gz.body.arrayBuffer())))).toBe(one.digest)

    const part = await request(`${server.url}${meta.bundleUrl}`, {
      headers: { ...auth, range: 'bytes=0-511' },
    })
    expect(part.statusCode).toBe(206)
    expect((await part.body.arrayBuffer()).byteLength).toBe(512)

    const head = await request(`${server.url}${meta.bundleUrl}`, { method: 'HEAD', headers: auth })
    expect(head.statusCode).toBe(200)
    expect(head.headers['content-length']).toBe(String(one.size))
    await head.body.dump()

    const cached = await request(`${server.url}${meta.bundleUrl}`, {
      headers: { ...auth, 'if-none-match': `"${one.digest}"` },
    })
    expect(cached.statusCode).toBe(304)
    await cached.body.dump()
  })

  it('cuts a streamed corrupt bundle short instead of completing it', async () => {
    server = await startServer(testConfig(TEMPLATES), { logger: silentLogger })
    const big = await ingestTree(server.runtime, 'docs', {
      'config.yaml': 'name: docs\n',
      'prompts/big.bin': randomBytes(1536 * 1024),
    })
    const file = server.runtime.store.contentPath(big.digest)
    chmodSync(file, 0o644)
    const bytes = readFileSync(file)
    bytes[100]! ^= 0xff
    writeFileSync(file, bytes)
    const res = await request(`${server.url}/v1/bundles/${big.digest}`)
    expect(res.statusCode).toBe(200) // headers went out before the digest could be checked
    await expect(res.body.arrayBuffer()).rejects.toThrow()
    await expect.poll(() => server.runtime.store.has(big.digest)).toBeNull()
    await expect
      .poll(() => server.runtime.index.jobs.list().map((j) => [j.template, j.force]))
      .toEqual([['docs', true]])
  })
})
