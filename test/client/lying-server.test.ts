// A server that lies about status, headers, framing or body: `pull`, called in this process as a
// library, fails with a code, leaves DIR as it was, and never throws anything at its host (no
// uncaught exception, no unhandled rejection, however late the server's last word arrives).
import { rm } from 'node:fs/promises'
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pull } from '../../src/client/index.js'
import { snapshot } from './snapshot.js'
import { bundleOf, publish, type StubServer, TOKEN } from './stub-server.js'
import { stubSuite } from './stub-suite.js'

let next: Buffer
let nextDigest: string
const escaped: unknown[] = []
const record = (err: unknown) => {
  escaped.push(err)
}

beforeAll(() => {
  process.on('uncaughtException', record)
  process.on('unhandledRejection', record)
})
afterAll(() => {
  process.off('uncaughtException', record)
  process.off('unhandledRejection', record)
})
const ctx = stubSuite('pull-lies-', {
  each: async ({ stub, dir }) => {
    publish(stub, 'seo', await bundleOf([{ path: 'config.yaml', body: 'v1\n' }]))
    await pull(stub.url, 'seo', { into: dir, token: TOKEN })
    // The next version, which every lie below stands in front of.
    next = await bundleOf([
      { path: 'config.yaml', body: 'v2\n' },
      { path: 'prompts/a.md', body: 'A'.repeat(4000) },
    ])
    nextDigest = publish(stub, 'seo', next)
    escaped.length = 0
  },
})

type Lie = (req: IncomingMessage, res: ServerResponse) => void
/** `lie` answers the requests whose path starts with `prefix`; the honest stub answers the rest. */
const on = (prefix: string) => (lie: Lie) => (req: IncomingMessage, res: ServerResponse) => {
  if (!req.url!.startsWith(prefix)) return false
  lie(req, res)
  return true
}
const onBundle = on('/v1/bundles/')
const onResolve = on('/v1/templates/')
/** Bytes straight onto the socket, past Node's HTTP framing, then the connection is closed. */
const raw = (text: string | Buffer) => (req: IncomingMessage) => {
  req.socket.end(text)
}
const cutAfter = (res: ServerResponse, bytes: Buffer) =>
  res.write(bytes, () => res.socket?.destroy())
/** Answers `status` with `headers`, then `body`. */
const answer =
  (status: number, headers: OutgoingHttpHeaders, body?: string | Buffer): Lie =>
  (_req, res) => {
    res.writeHead(status, headers)
    res.end(body)
  }
/** Answers `status` with `headers`, sends `part` of the body and drops the connection. */
const cutShort =
  (status: number, headers: OutgoingHttpHeaders, part: Buffer): Lie =>
  (_req, res) => {
    res.writeHead(status, headers)
    cutAfter(res, part)
  }

/** Turns of the event loop after the pull settled: late 'error' events fire within these. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((done) => setImmediate(done))
  await new Promise((done) => setTimeout(done, 20))
}

const LIES: { name: string; lie: () => StubServer['lie']; code: string; byDigest?: boolean }[] = [
  {
    name: 'Content-Length longer than the size resolve reported',
    lie: () =>
      onBundle(
        answer(
          200,
          { 'content-length': String(next.length + 10) },
          Buffer.concat([next, Buffer.alloc(10)]),
        ),
      ),
    code: 'EBADSIZE',
  },
  {
    name: 'Content-Length shorter than the size resolve reported',
    lie: () =>
      onBundle(
        answer(
          200,
          { 'content-length': String(next.length - 512) },
          next.subarray(0, next.length - 512),
        ),
      ),
    code: 'EBADSIZE',
  },
  {
    name: 'a Content-Encoding nobody asked for',
    lie: () =>
      onBundle(
        answer(200, { 'content-length': String(next.length), 'content-encoding': 'gzip' }, next),
      ),
    code: 'BAD_RESPONSE',
  },
  {
    name: 'a 206 nobody asked for',
    lie: () =>
      onBundle(
        answer(
          206,
          {
            'content-length': String(next.length),
            'content-range': `bytes 0-${next.length - 1}/${next.length}`,
          },
          next,
        ),
      ),
    code: 'BAD_RESPONSE',
  },
  {
    name: 'a Content-Length that is not a number',
    lie: () => onBundle(raw('HTTP/1.1 200 OK\r\ncontent-length: 12abc\r\n\r\nhello')),
    code: 'SERVER_UNREACHABLE',
  },
  {
    name: 'bytes that do not hash to the digest',
    lie: () =>
      onBundle((_req, res) => {
        const bad = Buffer.from(next)
        bad[600] = bad[600]! ^ 1
        res.writeHead(200, { 'content-length': String(bad.length) })
        res.end(bad)
      }),
    code: 'EINTEGRITY',
  },
  {
    name: 'a body cut short under an honest Content-Length',
    lie: () =>
      onBundle(cutShort(200, { 'content-length': String(next.length) }, next.subarray(0, 1024))),
    code: 'EBADSIZE',
  },
  {
    name: 'a chunked body reset mid-way',
    lie: () =>
      onBundle(cutShort(200, { 'content-type': 'application/x-tar' }, next.subarray(0, 1024))),
    code: 'EBADSIZE',
  },
  {
    name: 'a chunked body reset mid-way, pulled by digest (no size known)',
    lie: () =>
      onBundle(cutShort(200, { 'content-type': 'application/x-tar' }, next.subarray(0, 1024))),
    code: 'SERVER_UNREACHABLE',
    byDigest: true,
  },
  {
    name: 'malformed chunked framing',
    lie: () =>
      onBundle(raw('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nnot a chunk\r\n')),
    code: 'EBADSIZE',
  },
  {
    name: 'a connection closed before any header',
    lie: () => onBundle((req) => req.socket.destroy()),
    code: 'SERVER_UNREACHABLE',
  },
  {
    name: 'a 500 whose body is cut short',
    lie: () =>
      onBundle(
        cutShort(
          500,
          { 'content-type': 'application/json', 'content-length': '1000' },
          Buffer.from('{"error":{"co'),
        ),
      ),
    code: 'SERVER_ERROR',
  },
  {
    name: 'a 500 with an HTML body',
    lie: () =>
      onBundle(answer(500, { 'content-type': 'text/html' }, '<html><body>oops</body></html>')),
    code: 'SERVER_ERROR',
  },
  {
    name: 'a redirect elsewhere (never followed)',
    lie: () => onBundle(answer(302, { location: 'http://127.0.0.1:1/steal' })),
    code: 'SERVER_ERROR',
  },
  {
    name: 'resolve: garbage instead of JSON',
    lie: () =>
      onResolve(answer(200, { 'content-type': 'application/json' }, '{"digest": "sha256:')),
    code: 'BAD_RESPONSE',
  },
  {
    name: 'resolve: JSON of the wrong shape',
    lie: () =>
      onResolve(
        answer(
          200,
          { 'content-type': 'application/json' },
          JSON.stringify({ digest: 'md5:abc', size: -1, commit: 7 }),
        ),
      ),
    code: 'BAD_RESPONSE',
  },
  {
    name: 'resolve: gzip-encoded JSON nobody asked for',
    lie: () =>
      onResolve(
        answer(
          200,
          { 'content-type': 'application/json', 'content-encoding': 'gzip' },
          Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]),
        ),
      ),
    code: 'BAD_RESPONSE',
  },
  {
    name: 'resolve: a body cut short',
    lie: () =>
      onResolve(
        cutShort(
          200,
          { 'content-type': 'application/json', 'content-length': '500' },
          Buffer.from('{"digest":'),
        ),
      ),
    code: 'SERVER_UNREACHABLE',
  },
  {
    name: 'resolve: a 304 to a request without If-None-Match',
    lie: () => onResolve(answer(304, {})),
    code: 'SERVER_ERROR',
  },
]

describe('a lying server never takes down the process that imports the client', () => {
  for (const { name, lie, code, byDigest } of LIES) {
    it(`${name}: ${code}`, async () => {
      // A DIR pulled by template keeps its state; a pull by digest uses a fresh DIR.
      const target = byDigest ? nextDigest : 'seo'
      if (name.startsWith('resolve: a 304')) await rm(join(ctx.dir, '.asset-cache.json'))
      const before = await snapshot(ctx.dir)
      ctx.stub.lie = lie()
      const outcome = await pull(ctx.stub.url, target, { into: ctx.dir, token: TOKEN }).then(
        () => 'resolved',
        (err: Error & { code?: string }) => err.code ?? err.message,
      )
      await settle()
      expect(outcome).toBe(code)
      expect(await snapshot(ctx.dir)).toEqual(before)
      expect(escaped).toEqual([])
    })
  }
})
