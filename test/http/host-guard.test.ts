// DNS rebinding: with no read tokens (anonymous reads on loopback), only loopback Host names are
// served, by the hot bundle path and the app alike; any other name gets 421 HOST_NOT_ALLOWED.
// With ASSET_CACHE_ALLOW_ANONYMOUS_READS=true or with read tokens, the Host is not checked.

import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../src/http/app.js'
import { appDeps } from '../../src/http/deps.js'
import type { AppDeps } from '../../src/http/env.js'
import { hotBundleListener } from '../../src/http/fast-path/listener.js'
import { isLoopbackHost } from '../../src/http/middleware/host-guard.js'
import { silentLogger } from '../../src/log.js'
import { createMetrics } from '../../src/metrics.js'
import { bodyOf, rawClient, statusOf } from '../support/raw-socket.js'
import { type Fixture, fixture, ingestTree } from './read-fixture.js'

const servers: Server[] = []
const fixtures: Fixture[] = []

afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections()
    await new Promise((resolve) => s.close(resolve))
  }
  for (const f of fixtures) f.rt.close()
})

async function listen(listener: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(listener)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

interface Pair {
  f: Fixture
  digest: string
  /** The hot listener in front of the app, and how many requests it passed on. */
  hot: string
  toApp: () => number
  /** The app alone. */
  app: string
}

/** A runtime configured by `env`, one small bundle, served by both listeners. */
async function pair(env: Record<string, string>): Promise<Pair> {
  const f = await fixture(env)
  fixtures.push(f)
  const { digest } = await ingestTree(f.rt, 'seo', { 'config.yaml': 'name: seo\n' })
  const deps = (): AppDeps =>
    appDeps({
      config: f.rt.config,
      index: f.rt.index,
      store: f.rt.store,
      now: f.rt.now,
      logger: silentLogger,
      metrics: createMetrics(),
    })
  const hotDeps = deps()
  const inner = getRequestListener(createApp(hotDeps).fetch, { hostname: f.rt.config.host })
  let passed = 0
  const hot = await listen(
    hotBundleListener(hotDeps, (req, res) => {
      passed++
      return inner(req, res)
    }),
  )
  const app = await listen(
    getRequestListener(createApp(deps()).fetch, { hostname: f.rt.config.host }),
  )
  const p = { f, digest, hot, app, toApp: () => passed }
  // Warm both hot caches under a loopback name.
  const token = env.ASSET_CACHE_READ_TOKENS
  for (const base of [hot, app])
    expect((await get(base, `/v1/bundles/${digest}`, undefined, token)).status).toBe(200)
  return p
}

/**
 * One GET over a raw socket, so that any Host value reaches the server as written (an HTTP client
 * library would refuse some). Status, error code and body length of the answer.
 */
async function get(base: string, path: string, host = '127.0.0.1', token?: string) {
  const client = await rawClient(base)
  const lines = [`GET ${path} HTTP/1.1`, 'Connection: close', `Host: ${host}`]
  if (token !== undefined) lines.push(`Authorization: Bearer ${token}`)
  client.socket.write(`${lines.join('\r\n')}\r\n\r\n`)
  await client.closed
  const bytes = client.received()
  const body = bodyOf(bytes)
  const code = body.startsWith('{"error"')
    ? (JSON.parse(body) as { error: { code: string } }).error.code
    : undefined
  return { status: statusOf(bytes), code, length: body.length }
}

const port = fc.integer({ min: 1, max: 65_535 }).map(String)
const withPort = (name: fc.Arbitrary<string>) =>
  fc.tuple(name, fc.option(port, { nil: undefined })).map(([n, p]) => (p ? `${n}:${p}` : n))
const octet = fc.integer({ min: 0, max: 255 }).map(String)
const randomCase = (text: string) =>
  fc
    .array(fc.boolean(), { minLength: text.length, maxLength: text.length })
    .map((up) => [...text].map((ch, i) => (up[i] ? ch.toUpperCase() : ch)).join(''))

/** Names of this machine's loopback: always served. */
const loopback = withPort(
  fc.oneof(
    fc.constant('localhost').chain(randomCase),
    fc.tuple(octet, octet, octet).map((o) => `127.${o.join('.')}`),
    fc.constant('[::1]'),
  ),
)

/** Names a rebinding page could carry: never served. */
const foreign = withPort(
  fc.oneof(
    fc.domain().filter((d) => d !== 'localhost'),
    fc.ipV4().filter((ip) => !ip.startsWith('127.')),
    fc
      .ipV6()
      .map((ip) => `[${ip}]`)
      .filter((ip) => new URL(`http://${ip}/`).host !== '[::1]'),
    fc.constantFrom(
      'evil.example',
      'localhost.',
      'app.localhost',
      'localhost.evil.example',
      '127.0.0.1.evil.example',
      'evil-localhost',
      '0.0.0.0',
      '[::ffff:127.0.0.1]',
      '[::]',
    ),
  ),
)

/** Anything printable, malformed included: both paths must agree, whatever they answer. */
const anything = fc.string({
  minLength: 1,
  maxLength: 30,
  unit: fc.constantFrom(...'aAlL0127.:[]-_@ /%'),
})

// A reference written differently from the module: one regular expression over the canonical host.
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)'
const REFERENCE = new RegExp(`^(?:localhost|127(?:\\.${OCTET}){3}|\\[::1\\])(?::(\\d{1,5}))?$`)
const reference = (host: string) => {
  const m = REFERENCE.exec(host.toLowerCase())
  return m !== null && (m[1] === undefined || Number(m[1]) <= 65_535)
}

describe('isLoopbackHost', () => {
  it('agrees with an independent reference over random hosts (property)', () => {
    fc.assert(
      fc.property(fc.oneof(loopback, foreign, anything), (host) => {
        expect(isLoopbackHost(host)).toBe(reference(host))
      }),
      { numRuns: 5000 },
    )
  })
})

describe('anonymous reads on loopback', () => {
  let p: Pair
  beforeAll(async () => {
    p = await pair({})
  })

  it('serve loopback names and refuse every other Host, on the hot path and the app alike (property)', async () => {
    const before = p.toApp()
    let runs = 0
    let served = 0
    let refused = 0
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          { arbitrary: loopback.map((h) => ({ h, kind: 'loopback' })), weight: 2 },
          { arbitrary: foreign.map((h) => ({ h, kind: 'foreign' })), weight: 2 },
          { arbitrary: anything.map((h) => ({ h, kind: 'any' })), weight: 1 },
        ),
        async ({ h, kind }) => {
          runs++
          const path = `/v1/bundles/${p.digest}`
          const a = await get(p.hot, path, h)
          const b = await get(p.app, path, h)
          expect(a).toEqual(b)
          if (kind === 'loopback') expect(a.status).toBe(200)
          if (kind === 'foreign') {
            // Refused by the guard, or as malformed by the HTTP adapter first.
            expect([421, 400]).toContain(a.status)
            if (a.status === 421) expect(a.code).toBe('HOST_NOT_ALLOWED')
          }
          expect([200, 400, 421]).toContain(a.status)
          if (a.status === 200) served++
          if (a.status === 421) refused++
        },
      ),
      { numRuns: 400 },
    )
    // Loopback hits were answered by the hot path itself, refusals by the app.
    const passed = p.toApp() - before
    expect(passed).toBeGreaterThan(0)
    expect(passed).toBeLessThan(runs)
    expect(served).toBeGreaterThan(0)
    expect(refused).toBeGreaterThan(0)
  })

  it.each([
    '/healthz',
    '/metrics',
    '/v1/templates',
    '/v1/templates/seo',
    '/admin/login',
    '/openapi.json',
  ])('refuses %s under a foreign name, serves it under localhost', async (path) => {
    const refused = await get(p.app, path, 'rebind.evil.example:8080')
    expect(refused.status).toBe(421)
    expect(refused.code).toBe('HOST_NOT_ALLOWED')
    const served = await get(p.app, path, 'localhost:8080')
    expect(served.status).not.toBe(421)
  })

  it('refuses a Host the URL parser cannot read (`.2`, `1.2.3.4.5`, `0x100000000`): 421, never a 500', async () => {
    for (const h of ['.2', '1.2.3.4.5', '0x100000000', '256.256.256.256']) {
      const path = `/v1/bundles/${p.digest}`
      const a = await get(p.hot, path, h)
      expect(a).toEqual(await get(p.app, path, h))
      expect([421, 400]).toContain(a.status)
    }
  })

  it('refuses a foreign Host in-process too (app.request)', async () => {
    const res = await p.f.app.request('http://rebind.evil.example/v1/templates')
    expect(res.status).toBe(421)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('HOST_NOT_ALLOWED')
    expect((await p.f.app.request('/v1/templates')).status).toBe(200)
  })
})

describe('when the Host is not checked', () => {
  it('ASSET_CACHE_ALLOW_ANONYMOUS_READS=true: the operator chose to serve any name', async () => {
    const p = await pair({ ASSET_CACHE_ALLOW_ANONYMOUS_READS: 'true' })
    for (const base of [p.hot, p.app]) {
      expect((await get(base, `/v1/bundles/${p.digest}`, 'cache.example.com')).status).toBe(200)
      expect((await get(base, '/v1/templates', 'cache.example.com')).status).toBe(200)
    }
  })

  it('read tokens configured: the token decides, under any name', async () => {
    const p = await pair({ ASSET_CACHE_READ_TOKENS: 'host-token' })
    for (const base of [p.hot, p.app]) {
      const path = `/v1/bundles/${p.digest}`
      expect((await get(base, path, 'cache.example.com', 'host-token')).status).toBe(200)
      expect((await get(base, path, 'cache.example.com')).status).toBe(401)
    }
  })
})
