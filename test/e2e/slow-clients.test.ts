// Slow and greedy clients against the real server on loopback (raw node:net sockets): each
// server-side limit closes what it bounds — trickled headers, a trickled body, a body that stops,
// a response nobody reads (and the blob it streams), an idle keep-alive connection — and the
// connection cap refuses past its count. The limits are shortened through the environment, as
// an operator would set them; each test would hang (and fail at the test timeout) without its
// limit, since node's own defaults run to minutes or forever.
import { randomBytes } from 'node:crypto'
import { readdirSync, readlinkSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { request } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { limitedServer } from '../../src/http/listen.js'
import { type RunningServer, startServer } from '../../src/http/server.js'
import { silentLogger } from '../../src/log.js'
import { ingestTree } from '../http/read-fixture.js'
import { bodyOf, rawClient, statusOf } from '../support/raw-socket.js'
import { testConfig, testRuntime } from '../support/runtime.js'
import { until } from '../support/wait.js'

const ADMIN_TOKEN = randomBytes(32).toString('hex')

const LONG = '60s'
let server: RunningServer | null = null

afterEach(async () => {
  await server?.close(1_000)
  server = null
})

/** The real server, every limit long unless `env` shortens it. */
async function start(
  env: Record<string, string>,
  templates: { name: string; repo: string }[] = [],
) {
  const config = testConfig(templates, {
    ASSET_CACHE_WEBHOOK_SECRET: 'slow-secret',
    ASSET_CACHE_ADMIN_TOKEN: ADMIN_TOKEN,
    ASSET_CACHE_HEADERS_TIMEOUT: LONG,
    ASSET_CACHE_REQUEST_TIMEOUT: LONG,
    ASSET_CACHE_BODY_TIMEOUT: LONG,
    ASSET_CACHE_IDLE_TIMEOUT: LONG,
    ASSET_CACHE_RECONCILE_INTERVAL: '1h',
    ...env,
  })
  server = await startServer(config, { logger: silentLogger })
  return server
}

async function metric(s: RunningServer, name: string, labels = ''): Promise<number> {
  const text = await s.metrics.text()
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `))
  return line === undefined ? 0 : Number(line.split(' ')[1])
}

const POST = (path: string, type: string, length: number) =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${type}\r\nContent-Length: ${length}\r\n\r\n`

describe('slow senders', () => {
  it('trickled headers: 408 and closed at ASSET_CACHE_HEADERS_TIMEOUT', async () => {
    const s = await start({ ASSET_CACHE_HEADERS_TIMEOUT: '300ms' })
    const client = await rawClient(s.url)
    const headers = `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n${'X-Slow: 1\r\n'.repeat(10_000)}\r\n`
    void client.trickle(headers, 20, 4)
    await client.closed
    expect(statusOf(client.received())).toBe(408)
    expect(
      await metric(s, 'asset_cache_http_connections_timed_out_total', '{reason="request"}'),
    ).toBe(1)
  })

  it.each([
    ['an unsigned webhook', '/hooks/gitea', 'application/json', '{"ref":"refs/heads/main"}'],
    ['an admin sign-in', '/admin/login', 'application/x-www-form-urlencoded', 'token=slow-admin'],
  ])(
    '%s body trickled: 408 REQUEST_TIMEOUT and closed at ASSET_CACHE_BODY_TIMEOUT',
    async (_n, path, type, body) => {
      const s = await start({ ASSET_CACHE_BODY_TIMEOUT: '300ms' })
      const client = await rawClient(s.url)
      const padded = body.padEnd(4096, ' ')
      client.socket.write(POST(path, type, padded.length))
      void client.trickle(padded, 20)
      await client.closed
      const bytes = client.received()
      expect(statusOf(bytes)).toBe(408)
      // JSON from the API, an HTML page from the admin UI: the code is in both.
      expect(bodyOf(bytes)).toContain('REQUEST_TIMEOUT')
    },
  )

  it('a chunked webhook body that stops: 408 at ASSET_CACHE_BODY_TIMEOUT, counted as a timeout', async () => {
    const s = await start({ ASSET_CACHE_BODY_TIMEOUT: '300ms' })
    const client = await rawClient(s.url)
    client.socket.write(
      'POST /hooks/gitea HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
        'X-Gitea-Event: push\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"ref\r\n',
    )
    await client.closed
    expect(statusOf(client.received())).toBe(408)
    expect(
      await metric(s, 'asset_cache_webhook_deliveries_total', '{event="push",outcome="timeout"}'),
    ).toBe(1)
  })

  it('a body trickled past ASSET_CACHE_REQUEST_TIMEOUT is cut by the server', async () => {
    const s = await start({
      ASSET_CACHE_HEADERS_TIMEOUT: '200ms',
      ASSET_CACHE_REQUEST_TIMEOUT: '400ms',
    })
    const client = await rawClient(s.url)
    client.socket.write(POST('/hooks/gitea', 'application/json', 4096))
    void client.trickle(' '.repeat(4096), 20)
    await client.closed
    expect(statusOf(client.received())).toBe(408)
    await until(
      async () =>
        (await metric(s, 'asset_cache_http_connections_timed_out_total', '{reason="request"}')) ===
        1,
    )
    // The handler saw its read cut short by the server: a timeout, not a client abort.
    expect(
      await metric(s, 'asset_cache_http_requests_aborted_total', '{route="/hooks/gitea"}'),
    ).toBe(0)
  })
})

describe('slow readers', () => {
  /** Descriptors of this process (the server runs in it) open on `path`. */
  const openOn = (path: string) =>
    readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === path
      } catch {
        return false
      }
    }).length

  it('a bundle response nobody reads: closed at ASSET_CACHE_IDLE_TIMEOUT, and its blob with it', async () => {
    const templates = [{ name: 'big', repo: 'acme/big' }]
    const env = { ASSET_CACHE_IDLE_TIMEOUT: '500ms', ASSET_CACHE_READ_TOKENS: 'reader' }
    // 24 MiB of bundle (more than the socket buffers on both ends hold), a small archive.
    const rt = await testRuntime(templates, env)
    const { digest } = await ingestTree(rt, 'big', {
      'config.yaml': 'name: big\n',
      'prompts/a.md': 'a'.repeat(12 * 1024 * 1024),
      'prompts/b.md': 'b'.repeat(12 * 1024 * 1024),
    })
    const blob = rt.store.contentPath(digest)
    rt.close()
    const s = await start({ ...env, ASSET_CACHE_DATA_DIR: rt.config.dataDir }, templates)
    const client = await rawClient(s.url, { read: false })
    client.socket.write(
      `GET /v1/bundles/${digest} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer reader\r\n\r\n`,
    )
    await until(() => openOn(blob) === 1)
    // The server gives up on the connection, and the blob is closed with it.
    await until(async () => (await metric(s, 'asset_cache_http_connections')) === 0)
    await until(() => openOn(blob) === 0)
    expect(await metric(s, 'asset_cache_http_connections_timed_out_total', '{reason="idle"}')).toBe(
      1,
    )
    // What was already in flight reaches the client, then the end: far less than the bundle.
    client.socket.on('data', () => {})
    client.socket.resume()
    await client.closed
    expect(client.socket.bytesRead).toBeLessThan(24 * 1024 * 1024)
    // The server still answers.
    const res = await request(`${s.url}/v1/bundles/${digest}`, {
      method: 'HEAD',
      headers: { authorization: 'Bearer reader' },
    })
    expect(res.statusCode).toBe(200)
    await res.body.dump()
  }, 60_000)

  it('advertises ASSET_CACHE_KEEP_ALIVE_TIMEOUT and closes an idle keep-alive connection after it', async () => {
    const s = await start({ ASSET_CACHE_KEEP_ALIVE_TIMEOUT: '7s' })
    const res = await request(`${s.url}/healthz`)
    expect(res.headers['keep-alive']).toBe('timeout=7')
    await res.body.dump()
    await s.close(1_000)

    const short = await start({ ASSET_CACHE_KEEP_ALIVE_TIMEOUT: '200ms' })
    const client = await rawClient(short.url)
    client.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
    await client.closed
    expect(statusOf(client.received())).toBe(200)
    // Ending a keep-alive connection is not a timeout of a request.
    expect(
      await metric(short, 'asset_cache_http_connections_timed_out_total', '{reason="idle"}'),
    ).toBe(0)
  })
})

describe('a slow answer', () => {
  it('is not cut by the idle timeout while the server works on it and nothing waits to be sent', async () => {
    const limits = { ...testConfig().http, idleTimeoutMs: 100, keepAliveTimeoutMs: 5000 }
    const slow = limitedServer((_req, res) => {
      setTimeout(() => res.end('done'), 600)
    }, limits)
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = slow.address() as AddressInfo
      const res = await request(`http://127.0.0.1:${port}/`)
      expect(res.statusCode).toBe(200)
      expect(await res.body.text()).toBe('done')
    } finally {
      slow.closeAllConnections()
      await new Promise((resolve) => slow.close(resolve))
    }
  })
})

describe('the connection cap', () => {
  it('refuses connections past ASSET_CACHE_MAX_CONNECTIONS, counts them, and serves again once one closes', async () => {
    const s = await start({ ASSET_CACHE_MAX_CONNECTIONS: '4' })
    const held = await Promise.all(Array.from({ length: 4 }, () => rawClient(s.url)))
    for (const c of held) c.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n')
    await until(async () => (await metric(s, 'asset_cache_http_connections')) === 4)

    const refused = await rawClient(s.url).catch(() => null)
    if (refused) {
      refused.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
      await refused.closed
      expect(refused.received().length).toBe(0)
    }
    await until(async () => (await metric(s, 'asset_cache_http_connections_refused_total')) === 1)

    held[0]!.socket.destroy()
    await until(async () => (await metric(s, 'asset_cache_http_connections')) === 3)
    const res = await request(`${s.url}/healthz`)
    expect(res.statusCode).toBe(200)
    await res.body.dump()
    for (const c of held) c.socket.destroy()
  })
})
