// The hot bundle listener (src/http/fast-path/listener.ts) answers cache hits without the Hono app. Whatever it
// answers must be what the app answers: random requests go to both over real sockets and their
// statuses, headers and bodies are compared; the count of requests the app saw proves the hot path
// answered most of them.

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
import type { AppDeps } from '../../src/http/env.js'
import { hotBundleListener } from '../../src/http/fast-path/listener.js'
import { createLogger, silentLogger } from '../../src/log.js'
import { createMetrics, type Metrics } from '../../src/metrics.js'
import { signedPath } from '../../src/signed-url.js'
import { type Fixture, fixture, ingestTree } from './read-fixture.js'

const TOKENS = 'all-token,seo-token@seo,docs-token@docs'
let f: Fixture
let seo: string
let docs: string
let big: string
const servers: Server[] = []
let hot: { url: string; deps: AppDeps & { metrics: Metrics }; lines: Record<string, unknown>[] }
let appOnly: { url: string; deps: AppDeps & { metrics: Metrics } }
let toApp = 0

async function listen(listener: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(listener)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function depsFor(logger = silentLogger): AppDeps {
  const { config, index, store, now } = f.rt
  return appDeps({ config, index, store, now, logger, metrics: createMetrics() })
}

beforeAll(async () => {
  f = await fixture({
    ASSET_CACHE_READ_TOKENS: TOKENS,
    ASSET_CACHE_URL_KEY: randomBytes(32).toString('hex'),
  })
  seo = (await ingestTree(f.rt, 'seo', { 'config.yaml': 'name: seo\n', 'prompts/a.md': 'hi\n' }))
    .digest
  docs = (await ingestTree(f.rt, 'docs', { 'config.yaml': 'name: docs\n' })).digest
  // Over HOT_MAX_BUNDLE_BYTES: never hot, always streamed by the app.
  const bytes = Buffer.alloc(1536 * 1024, 7).toString('base64')
  big = (await ingestTree(f.rt, 'docs', { 'config.yaml': 'x: 1\n', 'prompts/b.md': bytes })).digest
  const lines: Record<string, unknown>[] = []
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)))
      done()
    },
  })
  const deps = depsFor(createLogger('info', sink))
  const app = getRequestListener(createApp(deps).fetch)
  const url = await listen(
    hotBundleListener(deps, (req, res) => {
      toApp++
      return app(req, res)
    }),
  )
  hot = { url, deps, lines }
  const other = depsFor()
  appOnly = { url: await listen(getRequestListener(createApp(other).fetch)), deps: other }
})

afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections()
    await new Promise((resolve) => s.close(resolve))
  }
  f?.rt.close()
})

type Headers = Record<string, string | string[]>

async function send(base: string, method: string, path: string, headers: Headers) {
  const res = await request(`${base}${path}`, { method: method as 'GET', headers })
  const { date: _d, 'x-request-id': rid, ...rest } = res.headers
  // Error bodies carry the request id: compared with it taken out.
  const bytes = Buffer.from(await res.body.arrayBuffer())
  const body =
    rest['content-type'] === 'application/json'
      ? Buffer.from(bytes.toString().replaceAll(String(rid), 'RID'))
      : bytes
  return { status: res.statusCode, headers: rest, requestId: rid, body }
}

const AUTH = [
  'Bearer all-token',
  'Bearer seo-token',
  'Bearer docs-token',
  'Bearer wrong',
  'Basic x',
]
/** `arb` one time in `1 + absent`, otherwise no header. */
const sometimes = <T>(arb: fc.Arbitrary<T>, absent = 1) =>
  fc.oneof({ arbitrary: fc.constant(undefined), weight: absent }, { arbitrary: arb, weight: 1 })
// Weighted so that most requests are ones the hot path answers itself.
const request$ = fc.record({
  method: fc.constantFrom('GET', 'HEAD'),
  target: fc.oneof(
    { arbitrary: fc.constantFrom('seo', 'docs'), weight: 6 },
    { arbitrary: fc.constantFrom('big', 'unknown', 'upper'), weight: 1 },
  ),
  authorization: fc.oneof(
    { arbitrary: fc.constantFrom(...AUTH.slice(0, 3)), weight: 8 },
    { arbitrary: fc.constantFrom(...AUTH.slice(3)), weight: 1 },
    { arbitrary: fc.array(fc.constantFrom(...AUTH), { minLength: 2, maxLength: 2 }), weight: 1 },
    { arbitrary: fc.constant(undefined), weight: 1 },
  ),
  'if-none-match': sometimes(
    fc.constantFrom('"DIGEST"', 'W/"DIGEST"', '"other"', '*', '"a", "DIGEST"'),
  ),
  'accept-encoding': sometimes(
    fc.constantFrom('gzip', 'gzip;q=0', 'br, gzip;q=0.5', 'identity', 'x-gzip'),
  ),
  range: sometimes(fc.constantFrom('bytes=0-9', 'bytes=-5', 'bytes=99999999-', 'bytes=0-1,4-5'), 6),
  host: sometimes(
    fc.constantFrom(
      'a b',
      'evil.com:99999',
      'x/y',
      'a@b',
      'CACHE.example',
      '[::1]:8080',
      'cache:80',
    ),
    3,
  ),
  // A signed URL's query: valid, for another digest, altered, reordered, or not a signed one.
  query: sometimes(fc.constantFrom('valid', 'reordered', 'other', 'altered', 'extra', 'plain'), 2),
  'x-request-id': sometimes(
    fc.oneof(
      fc.constantFrom('boot-42', 'a=b-c_d', 'has space', 'x'.repeat(256)),
      fc.stringMatching(/^[\w\-=]{1,20}$/),
    ),
  ),
})

/** The query (with its `?`) of a signed URL for `digest`, made `how`. */
function signedQuery(digest: string, how: string): string {
  const key = f.rt.config.urlKey!
  const expires = Math.floor(Date.now() / 1000) + 600
  const query = (d: string) => signedPath(key, d, expires).split('?')[1]!
  const [e, s] = query(digest).split('&') as [string, string]
  switch (how) {
    case 'valid':
      return `?${e}&${s}`
    case 'reordered':
      return `?${s}&${e}`
    case 'other':
      return `?${query(digest === seo ? docs : seo)}`
    case 'altered':
      return `?${e}1&${s}`
    case 'extra':
      return `?${e}&${s}&x=1`
    default:
      return '?x=1'
  }
}

/** The digests a generated request may name: served, large, unknown and mis-cased. */
const targetDigests = (): Record<string, string> => ({
  seo,
  docs,
  big,
  unknown: `sha256:${'0'.repeat(64)}`,
  upper: seo.toUpperCase().replace('SHA256', 'sha256'),
})

/** Warms both hot caches (a miss goes to the app and loads the entry). */
async function warmBoth() {
  for (const base of [hot.url, appOnly.url]) {
    for (const d of [seo, docs]) {
      const res = await send(base, 'GET', `/v1/bundles/${d}`, { authorization: 'Bearer all-token' })
      expect(res.status).toBe(200)
    }
  }
}

describe('the hot bundle listener', () => {
  it('answers every request exactly as the app does', async () => {
    const digests = targetDigests()
    await warmBoth()
    toApp = 0
    let runs = 0
    await fc.assert(
      fc.asyncProperty(request$, async ({ method, target, query, ...given }) => {
        runs++
        const digest = digests[target]!
        const headers: Headers = {}
        for (const [name, value] of Object.entries(given)) {
          if (value === undefined) continue
          headers[name] = Array.isArray(value)
            ? value.map((v) => v.replace('DIGEST', digest))
            : value.replace('DIGEST', digest)
        }
        const path = `/v1/bundles/${digest}${query === undefined ? '' : signedQuery(digest, query)}`
        const a = await send(hot.url, method, path, headers)
        const b = await send(appOnly.url, method, path, headers)
        expect(a.status).toBe(b.status)
        expect(a.headers).toEqual(b.headers)
        expect(a.body.equals(b.body)).toBe(true)
        const given$ = given['x-request-id']
        if (b.requestId === undefined) {
          // Refused by the HTTP adapter before any route (a malformed Host): a bare 400 both ways.
          expect(b.status).toBe(400)
          expect(a.requestId).toBeUndefined()
        } else if (given$ !== undefined && given$.length <= 255 && /^[\w\-=]+$/.test(given$)) {
          expect(a.requestId).toBe(given$)
          expect(b.requestId).toBe(given$)
        } else {
          expect(a.requestId).toMatch(/^[0-9a-f-]{36}$/)
        }
      }),
      { numRuns: 300 },
    )
    // Range requests, refused tokens, the big and unknown digests go to the app; the rest not.
    console.log(`hot listener: ${runs - toApp} of ${runs} answered without the app`)
    expect(toApp).toBeLessThan(runs)
    expect(toApp).toBeGreaterThan(0)
  })

  it('answers /v2 layer blobs exactly as the app does, scoped per repository', async () => {
    const basic = (token: string) => `Basic ${Buffer.from(`x:${token}`).toString('base64')}`
    const digests = targetDigests()
    const names = ['templates/seo', 'templates/docs', 'templates/nope', 'templates/Seo', 'x//y']
    await warmBoth()
    toApp = 0
    let runs = 0
    const blob$ = fc.record({
      method: fc.constantFrom('GET', 'HEAD'),
      name: fc.oneof(
        { arbitrary: fc.constantFrom(...names.slice(0, 2)), weight: 6 },
        { arbitrary: fc.constantFrom(...names.slice(2)), weight: 1 },
      ),
      target: fc.oneof(
        { arbitrary: fc.constantFrom('seo', 'docs'), weight: 6 },
        { arbitrary: fc.constantFrom('big', 'unknown', 'upper'), weight: 1 },
      ),
      authorization: fc.oneof(
        {
          arbitrary: fc.constantFrom(
            'Bearer all-token',
            basic('all-token'),
            basic('seo-token'),
            'Bearer docs-token',
          ),
          weight: 8,
        },
        { arbitrary: fc.constantFrom('Bearer wrong', basic('wrong'), 'Basic x'), weight: 1 },
        { arbitrary: fc.constant(undefined), weight: 1 },
      ),
      'if-none-match': sometimes(fc.constantFrom('"DIGEST"', 'W/"DIGEST"', '"other"', '*')),
      'accept-encoding': sometimes(fc.constantFrom('gzip', 'identity')),
      range: sometimes(fc.constantFrom('bytes=0-9', 'bytes=-5', 'bytes=99999999-'), 4),
      host: sometimes(fc.constantFrom('a b', 'CACHE.example', 'cache:80'), 4),
      query: sometimes(fc.constantFrom('?x=1', '?'), 6),
    })
    await fc.assert(
      fc.asyncProperty(blob$, async ({ method, name, target, query, ...given }) => {
        runs++
        const digest = digests[target]!
        const headers: Headers = {}
        for (const [key, value] of Object.entries(given)) {
          if (value !== undefined) headers[key] = value.replace('DIGEST', digest)
        }
        const path = `/v2/${name}/blobs/${digest}${query ?? ''}`
        const a = await send(hot.url, method, path, headers)
        const b = await send(appOnly.url, method, path, headers)
        // A 401's Bearer realm names the listener the request came to.
        for (const [res, base] of [
          [a, hot.url],
          [b, appOnly.url],
        ] as const) {
          const challenge = res.headers['www-authenticate']
          if (typeof challenge === 'string') {
            res.headers['www-authenticate'] = challenge.replace(new URL(base).host, 'HOST')
          }
        }
        expect(a.status).toBe(b.status)
        expect(a.headers).toEqual(b.headers)
        expect(a.body.equals(b.body)).toBe(true)
      }),
      { numRuns: 300 },
    )
    console.log(
      `hot listener: ${runs - toApp} of ${runs} /v2 blob requests answered without the app`,
    )
    expect(toApp).toBeLessThan(runs)
    expect(toApp).toBeGreaterThan(0)
    // Recorded under the app's own route label for /v2, and answered without it.
    toApp = 0
    const label =
      /asset_cache_http_requests_total\{route="\/v2\/\*",method="GET",status="200"\} (\d+)/
    const before = Number((await hot.deps.metrics.text()).match(label)?.[1] ?? 0)
    const res = await send(hot.url, 'GET', `/v2/templates/seo/blobs/${seo}`, {
      authorization: basic('seo-token'),
    })
    expect(res.status).toBe(200)
    expect(toApp).toBe(0)
    expect(Number((await hot.deps.metrics.text()).match(label)?.[1])).toBe(before + 1)
    const app = Number((await appOnly.deps.metrics.text()).match(label)?.[1] ?? 0)
    expect(app).toBeGreaterThan(0)
  })

  it('counts, records and logs what it answers like the app does', async () => {
    toApp = 0
    hot.lines.length = 0
    const before = await hot.deps.metrics.text()
    const res = await send(hot.url, 'GET', `/v1/bundles/${seo}`, {
      authorization: 'Bearer seo-token',
      'x-request-id': 'boot-7',
    })
    expect(res.status).toBe(200)
    expect(toApp).toBe(0)
    const line = hot.lines.find((l) => l.msg === 'request')
    expect(line).toMatchObject({
      requestId: 'boot-7',
      method: 'GET',
      route: '/v1/bundles/:digest',
      path: `/v1/bundles/${seo}`,
      status: 200,
    })
    expect(JSON.stringify(hot.lines)).not.toContain('seo-token')
    const after = await hot.deps.metrics.text()
    const value = (text: string, name: string) =>
      Number(text.match(new RegExp(`^${name} (\\S+)$`, 'm'))?.[1] ?? 0)
    expect(value(after, 'asset_cache_hot_cache_hits_total')).toBe(
      value(before, 'asset_cache_hot_cache_hits_total') + 1,
    )
    expect(value(after, 'asset_cache_bundle_bytes_served_total')).toBe(
      value(before, 'asset_cache_bundle_bytes_served_total') + res.body.length,
    )
    const served =
      /asset_cache_http_requests_total\{route="\/v1\/bundles\/:digest",method="GET",status="200"\} (\d+)/
    expect(Number(after.match(served)?.[1])).toBe(Number(before.match(served)?.[1] ?? 0) + 1)
    expect(f.rt.index.bundles.get(seo)?.lastServedAt).toBeGreaterThan(0)
  })

  it('leaves a digest it evicted to the app', async () => {
    hot.deps.state.serving.cache.delete(docs)
    toApp = 0
    const res = await send(hot.url, 'GET', `/v1/bundles/${docs}`, {
      authorization: 'Bearer all-token',
    })
    expect(res.status).toBe(200)
    expect(toApp).toBe(1)
  })
})

describe('X-Request-Id', () => {
  it("is on every answer, the caller's when plain, else a new UUID", async () => {
    const auth = { authorization: 'Bearer all-token' }
    const paths = ['/healthz', '/metrics', '/nowhere', `/v1/bundles/${big}`, `/v1/bundles/${seo}`]
    for (const path of paths) {
      for (const base of [hot.url, appOnly.url]) {
        const given = await send(base, 'GET', path, { ...auth, 'x-request-id': 'trace-1' })
        expect(given.requestId, path).toBe('trace-1')
        const fresh = await send(base, 'GET', path, { ...auth, 'x-request-id': 'a b' })
        expect(fresh.requestId, path).toMatch(
          /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/,
        )
      }
    }
  })
})
