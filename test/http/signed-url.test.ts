// Signed bundle URLs over real sockets: the hot listener in front of the app, no Authorization
// header. Valid URLs serve GET, HEAD and Range, hot and cold; expired, altered, reused and
// malformed ones answer 403 with their code; without ASSET_CACHE_URL_KEY they are not honoured.

import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { getRequestListener } from '@hono/node-server'
import fc from 'fast-check'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../src/http/app.js'
import { appDeps } from '../../src/http/deps.js'
import type { AppInput } from '../../src/http/env.js'
import { hotBundleListener } from '../../src/http/fast-path/listener.js'
import { createLogger, silentLogger } from '../../src/log.js'
import { createMetrics } from '../../src/metrics.js'
import { Secret } from '../../src/secret.js'
import { signedPath } from '../../src/signed-url.js'
import { type Fixture, fixture, ingestTree } from './read-fixture.js'

const KEY = randomBytes(32).toString('hex')
const ADMIN = randomBytes(32).toString('hex')
const T0 = 1_900_000_000
let clock = T0 * 1000
let f: Fixture
let seo: string
let docs: string
let big: string
const servers: Server[] = []
let signedBase: string
let keylessBase: string
let toApp = 0
const lines: string[] = []

async function serve(input: AppInput): Promise<string> {
  const deps = appDeps(input)
  const app = getRequestListener(createApp(deps).fetch)
  const server = createServer(
    hotBundleListener(deps, (req, res) => {
      toApp++
      return app(req, res)
    }),
  )
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

beforeAll(async () => {
  f = await fixture({
    ASSET_CACHE_READ_TOKENS: 'all-token,seo-token@seo',
    ASSET_CACHE_URL_KEY: KEY,
    ASSET_CACHE_ADMIN_TOKEN: ADMIN,
  })
  seo = (await ingestTree(f.rt, 'seo', { 'config.yaml': 'name: seo\n', 'prompts/a.md': 'hi\n' }))
    .digest
  docs = (await ingestTree(f.rt, 'docs', { 'config.yaml': 'name: docs\n' })).digest
  const bytes = Buffer.alloc(1536 * 1024, 7).toString('base64')
  big = (await ingestTree(f.rt, 'docs', { 'config.yaml': 'x: 1\n', 'prompts/b.md': bytes })).digest
  const { config, index, store } = f.rt
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk))
      done()
    },
  })
  const logger = createLogger('info', sink)
  const now = () => clock
  signedBase = await serve({ config, index, store, logger, metrics: createMetrics(), now })
  keylessBase = await serve({
    config: { ...config, urlKey: null },
    index,
    store,
    logger: silentLogger,
    metrics: createMetrics(),
    now,
  })
})

afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections()
    await new Promise((resolve) => s.close(resolve))
  }
  f?.rt.close()
})

const key = () => f.rt.config.urlKey!
const url = (digest: string, ttl = 600) => signedPath(key(), digest, T0 + ttl)

async function get(
  base: string,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
) {
  const res = await request(`${base}${path}`, { method: method as 'GET', headers })
  const body = Buffer.from(await res.body.arrayBuffer())
  const code =
    res.headers['content-type'] === 'application/json' && body.length > 0
      ? (JSON.parse(body.toString()) as { error: { code: string } }).error.code
      : undefined
  return { status: res.statusCode, headers: res.headers, body, code }
}

const withToken = (digest: string) =>
  get(signedBase, `/v1/bundles/${digest}`, { authorization: 'Bearer all-token' })

describe('a signed bundle URL', () => {
  it('serves GET, HEAD and Range without a token, cold then hot, and big bundles streamed', async () => {
    const cold = await get(signedBase, url(seo))
    expect(cold.status).toBe(200)
    expect(cold.headers['cache-control']).toBe('private, max-age=31536000, immutable')
    const wanted = await withToken(seo)
    expect(cold.body.equals(wanted.body)).toBe(true)
    expect(wanted.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    toApp = 0
    const hot = await get(signedBase, url(seo))
    expect(hot.status).toBe(200)
    expect(toApp).toBe(0)
    expect(hot.body.equals(wanted.body)).toBe(true)
    expect(hot.headers['cache-control']).toBe('private, max-age=31536000, immutable')
    const head = await get(signedBase, url(seo), {}, 'HEAD')
    expect(head.status).toBe(200)
    expect(head.headers['content-length']).toBe(String(wanted.body.length))
    const range = await get(signedBase, url(seo), { range: 'bytes=0-9' })
    expect(range.status).toBe(206)
    expect(range.body.equals(wanted.body.subarray(0, 10))).toBe(true)
    const etag = await get(signedBase, url(seo), { 'if-none-match': `"${seo}"` })
    expect(etag.status).toBe(304)
    expect(toApp).toBe(0)
    const streamed = await get(signedBase, url(big), { range: 'bytes=5-' })
    expect(streamed.status).toBe(206)
    expect(streamed.headers['cache-control']).toBe('private, max-age=31536000, immutable')
    expect(streamed.body.equals((await withToken(big)).body.subarray(5))).toBe(true)
    // The signature never reaches a log line.
    const sig = url(seo).split('signature=')[1]!
    expect(lines.join('')).not.toContain(sig)
    expect(lines.join('')).toContain(`"path":"/v1/bundles/${seo}"`)
  })

  it('grants nothing without its query: the path alone still needs a token', async () => {
    await get(signedBase, url(seo))
    expect((await get(signedBase, `/v1/bundles/${seo}`)).status).toBe(401)
    expect((await get(signedBase, `/v1/bundles/${seo}?foo=1`)).status).toBe(401)
    expect(
      (await get(signedBase, `/v1/bundles/${seo}/manifest?${url(seo).split('?')[1]}`)).status,
    ).toBe(401)
  })

  it('answers 403 URL_EXPIRED once expired, hot or cold', async () => {
    const path = url(seo, 60)
    expect((await get(signedBase, path)).status).toBe(200)
    clock = (T0 + 60) * 1000
    try {
      for (const d of [seo, big]) {
        const res = await get(signedBase, d === seo ? path : url(big, 60))
        expect([res.status, res.code]).toEqual([403, 'URL_EXPIRED'])
      }
    } finally {
      clock = T0 * 1000
    }
  })

  it('answers 403 URL_SIGNATURE_INVALID when altered, reused or malformed', async () => {
    const [path, query] = url(seo).split('?') as [string, string]
    const sig = query.split('signature=')[1]!
    const flipped = `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`
    const far = signedPath(key(), seo, T0 + 2 * 24 * 3600)
    const other = new Secret(randomBytes(32).toString('hex'))
    const cases = [
      `${path}?expires=${T0 + 600}&signature=${flipped}`,
      `${path}?expires=${T0 + 601}&signature=${sig}`,
      `/v1/bundles/${docs}?${query}`,
      `${path}?${query}&expires=${T0 + 600}`,
      `${path}?${query}&x=1`,
      `${path}?expires=0${T0 + 600}&signature=${sig}`,
      `${path}?expires=${T0 + 600}`,
      `${path}?signature=${sig}`,
      `${path}?${query}`.replace('signature=', 'signature=%41'),
      far,
      signedPath(other, seo, T0 + 600),
    ]
    for (const target of cases) {
      const res = await get(signedBase, target)
      expect([target, res.status, res.code]).toEqual([target, 403, 'URL_SIGNATURE_INVALID'])
      // A read token does not rescue a bad signature: the signed parameters are checked.
      const withAuth = await get(signedBase, target, { authorization: 'Bearer all-token' })
      expect(withAuth.status).toBe(403)
    }
    // Either order is the same URL.
    const [e, s] = query.split('&')
    expect((await get(signedBase, `${path}?${s}&${e}`)).status).toBe(200)
  })

  it('is not honoured without ASSET_CACHE_URL_KEY', async () => {
    const res = await get(keylessBase, url(seo))
    expect([res.status, res.code]).toEqual([401, 'UNAUTHORIZED'])
    const hot = await get(keylessBase, url(seo), { authorization: 'Bearer all-token' })
    expect(hot.status).toBe(200)
    expect(hot.headers['cache-control']).toBe('public, max-age=31536000, immutable')
  })

  it('is minted by POST /v1/urls within the token scope', async () => {
    const mint = async (body: unknown, token?: string, base = signedBase) => {
      const res = await request(`${base}/v1/urls`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      })
      const json = (await res.body.json()) as Record<string, unknown> & { error?: { code: string } }
      return { status: res.statusCode, json, code: json.error?.code }
    }
    const ok = await mint({ template: 'seo', ttl: '10m' }, 'seo-token')
    expect(ok.status).toBe(200)
    expect(ok.json).toMatchObject({ digest: seo, expires: T0 + 600 })
    expect(String(ok.json.url)).toBe(`${signedBase}${ok.json.path}`)
    const read = await get(signedBase, String(ok.json.path))
    expect(read.status).toBe(200)
    expect(read.body.equals((await withToken(seo)).body)).toBe(true)
    expect((await mint({ digest: seo, ttl: 60 }, 'seo-token')).json.expires).toBe(T0 + 60)
    // Outside the scope: as if unknown.
    expect((await mint({ template: 'docs' }, 'seo-token')).code).toBe('UNKNOWN_TEMPLATE')
    expect((await mint({ digest: docs }, 'seo-token')).code).toBe('NOT_FOUND')
    expect((await mint({ digest: big }, 'seo-token')).code).toBe('NOT_FOUND')
    // An unscoped read token and the admin token mint for any bundle.
    expect((await mint({ digest: docs }, 'all-token')).status).toBe(200)
    expect((await mint({ template: 'docs' }, ADMIN)).status).toBe(200)
    expect((await mint({ digest: seo })).code).toBe('UNAUTHORIZED')
    expect((await mint({ digest: seo }, 'wrong')).code).toBe('UNAUTHORIZED')
    expect((await mint({ digest: seo, ttl: '25h' }, ADMIN)).code).toBe('INVALID_PAYLOAD')
    expect((await mint({ digest: seo, ttl: 0 }, ADMIN)).code).toBe('INVALID_PAYLOAD')
    expect((await mint({ digest: seo, extra: 1 }, ADMIN)).code).toBe('INVALID_PAYLOAD')
    const off = await mint({ digest: seo }, 'all-token', keylessBase)
    expect([off.status, off.code]).toEqual([503, 'URLS_DISABLED'])
  })

  it('never answers 5xx and never serves without a valid signature (random queries)', async () => {
    const [path, query] = url(seo).split('?') as [string, string]
    const [e, s] = query.split('&') as [string, string]
    const part = fc.oneof(
      fc.constantFrom(e, s, `expires=${T0 + 1}`, 'signature=x', 'expires', 'signature', '', '='),
      fc.constantFrom(`${s.slice(0, -1)}A`, `${e}0`, `EXPIRES=${T0 + 600}`, 'expires=%31', 'a=b'),
      fc.string({ maxLength: 12 }).map(encodeURIComponent),
      fc.stringMatching(/^[a-z=&%0-9]{0,12}$/),
    )
    await fc.assert(
      fc.asyncProperty(
        fc.array(part, { maxLength: 4 }),
        fc.constantFrom('GET', 'HEAD'),
        async (parts, method) => {
          const q = parts.join('&')
          const res = await get(signedBase, `${path}?${q}`, {}, method)
          expect(res.status).toBeLessThan(500)
          const valid = q === `${e}&${s}` || q === `${s}&${e}`
          if (res.status < 400) expect(valid).toBe(true)
          else expect([401, 403]).toContain(res.status)
        },
      ),
      { numRuns: 300 },
    )
  })
})
