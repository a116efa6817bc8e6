// A client that sends its headers and part of a body, then hangs up, against the real server: the
// server did nothing wrong, so there is no 5xx and no error line — the request is recorded as
// 499 (client closed), logged at debug and counted.
import { randomBytes } from 'node:crypto'
import { Writable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { type RunningServer, startServer } from '../../src/http/server.js'
import { createLogger } from '../../src/log.js'
import { rawClient } from '../support/raw-socket.js'
import { testConfig } from '../support/runtime.js'
import { until } from '../support/wait.js'

const ADMIN_TOKEN = randomBytes(32).toString('hex')

let server: RunningServer | null = null
afterEach(async () => {
  await server?.close(1_000)
  server = null
})

async function start() {
  const lines: Record<string, unknown>[] = []
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)))
      done()
    },
  })
  const config = testConfig([], {
    ASSET_CACHE_WEBHOOK_SECRET: 'abort-secret',
    ASSET_CACHE_ADMIN_TOKEN: ADMIN_TOKEN,
  })
  server = await startServer(config, { logger: createLogger('debug', sink) })
  return { s: server, lines }
}

const sample = async (s: RunningServer, series: string) => {
  const line = (await s.metrics.text()).split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? 0 : Number(line.split(' ')[1])
}

const HEAD = (path: string, type: string, framing: string) =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${type}\r\nX-Gitea-Event: push\r\nExpect: 100-continue\r\n${framing}\r\n\r\n`

describe('a body the client abandons', () => {
  it.each([
    [
      'webhook, Content-Length',
      '/hooks/gitea',
      'application/json',
      'Content-Length: 4096',
      '{"ref":"refs/he',
    ],
    [
      'webhook, chunked',
      '/hooks/gitea',
      'application/json',
      'Transfer-Encoding: chunked',
      'f\r\n{"ref":"refs/he',
    ],
    [
      'admin sign-in',
      '/admin/login',
      'application/x-www-form-urlencoded',
      'Content-Length: 4096',
      'token=abo',
    ],
  ])(
    '%s: recorded 499, no 5xx, no error line, counted',
    async (_name, path, type, framing, part) => {
      const { s, lines } = await start()
      const client = await rawClient(s.url)
      // node answers `Expect: 100-continue` as it hands the request to the handler: from then on
      // the handler is (or is about to be) reading the body.
      client.socket.write(HEAD(path, type, framing))
      await until(() => client.received().toString().startsWith('HTTP/1.1 100 Continue'))
      client.socket.write(part)
      client.socket.destroy()
      await until(() => lines.some((l) => l.msg === 'request' && l.path === path))
      const request = lines.find((l) => l.msg === 'request' && l.path === path)!
      expect(request.status).toBe(499)
      expect(lines.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([])
      expect(
        await sample(s, `asset_cache_http_requests_aborted_total{route="${request.route}"}`),
      ).toBe(1)
      expect(
        await sample(
          s,
          `asset_cache_http_requests_total{route="${request.route}",method="POST",status="499"}`,
        ),
      ).toBe(1)
      if (path === '/hooks/gitea') {
        expect(
          await sample(s, 'asset_cache_webhook_deliveries_total{event="push",outcome="aborted"}'),
        ).toBe(1)
      }
    },
  )
})
