// The push client against registries that misbehave in ways a real one cannot be made to on
// demand: 5xx and 429 (retried, bounded), error bodies carrying text (never copied into a
// message), an upload Location on another origin (no credentials sent there), Basic challenges
// without credentials configured. Real registries: test/e2e/oci-publish.test.ts.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { AppError, IntegrityError } from '../../src/errors.js'
import { pushBlob } from '../../src/oci/push-image.js'
import { PushError, PushSession } from '../../src/oci/push-session.js'
import { Secret } from '../../src/secret.js'

type Handler = (req: IncomingMessage, res: ServerResponse) => void
interface Seen {
  method: string
  url: string
  authorization: string | undefined
}

const servers: Server[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections()
    await new Promise((resolve) => s.close(resolve))
  }
})

async function serve(handler: Handler): Promise<{ url: URL; seen: Seen[] }> {
  const seen: Seen[] = []
  const server = createServer((req, res) => {
    seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization })
    req.resume()
    req.on('end', () => handler(req, res))
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: new URL(`http://127.0.0.1:${port}`), seen }
}

const PASSWORD = 'push-password-secret'
const creds = { user: 'robot', password: new Secret(PASSWORD) }
const session = (origin: URL, withCreds = true) =>
  new PushSession(origin, { credentials: withCreds ? creds : null, backoffMs: 1 })
const scopes = ['repository:ns/templates/seo:pull,push']
const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a PushError')
    },
    (err: unknown) => {
      expect(err).toBeInstanceOf(PushError)
      return err as PushError
    },
  )

describe('PushSession', () => {
  it('retries 5xx and 429 a bounded number of times, then gives up PUBLISH_UNREACHABLE', async () => {
    let n = 0
    const flaky = await serve((_req, res) => {
      n++
      res.writeHead(n === 1 ? 503 : n === 2 ? 429 : 201, { 'retry-after': '0' }).end()
    })
    const ok = await session(flaky.url).send({
      method: 'PUT',
      target: '/v2/x',
      scopes,
      body: Buffer.from('a'),
    })
    expect(ok.status).toBe(201)
    expect(flaky.seen).toHaveLength(3)

    const down = await serve((_req, res) => res.writeHead(502).end('{"errors":[]}'))
    const err = await failure(session(down.url).send({ method: 'HEAD', target: '/v2/x', scopes }))
    expect(err.code).toBe('PUBLISH_UNREACHABLE')
    expect(down.seen).toHaveLength(3)
  })

  it('keeps a registry error code only when it is a plain word, and never its text', async () => {
    const text = `denied for robot:${PASSWORD} <script>`
    for (const [code, kept] of [
      ['DENIED', 'DENIED'],
      [`DENIED ${PASSWORD}`, null],
      ['x'.repeat(10), null],
    ] as const) {
      const registry = await serve((_req, res) =>
        res.writeHead(403).end(JSON.stringify({ errors: [{ code, message: text }] })),
      )
      const err = await failure(
        session(registry.url).send({ method: 'PUT', target: '/v2/x', scopes }),
      )
      expect(err.code).toBe('PUBLISH_DENIED')
      expect(err.message).not.toContain(PASSWORD)
      expect(err.message).not.toContain('<script>')
      if (kept) expect(err.message).toMatch(/ DENIED$/)
    }
  })

  it('answers a Basic challenge with the credentials, once; refused again is PUBLISH_UNAUTHORIZED', async () => {
    const registry = await serve((_req, res) =>
      res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end(),
    )
    const err = await failure(
      session(registry.url).send({ method: 'HEAD', target: '/v2/x', scopes }),
    )
    expect(err.code).toBe('PUBLISH_UNAUTHORIZED')
    expect(registry.seen.map((s) => s.authorization)).toEqual([
      undefined,
      `Basic ${Buffer.from(`robot:${PASSWORD}`).toString('base64')}`,
    ])
    expect(err.message).not.toContain(PASSWORD)
    const anonymous = await failure(
      session(registry.url, false).send({ method: 'HEAD', target: '/v2/x', scopes }),
    )
    expect(anonymous.code).toBe('PUBLISH_UNAUTHORIZED')
    expect(anonymous.message).toContain('ASSET_CACHE_OCI_PUBLISH_USER')
  })

  it('a streamed body whose source fails is that failure at once, not a network error retried', async () => {
    const registry = await serve((_req, res) => res.writeHead(201).end())
    for (const code of ['EINTEGRITY', 'EBADSIZE', 'ENOTFOUND'] as const) {
      const before = registry.seen.length
      const body = () =>
        new Readable({
          read() {
            this.destroy(
              code === 'ENOTFOUND' ? new AppError(code, 'gone') : new IntegrityError(code, 1, 2),
            )
          },
        })
      const err = await session(registry.url)
        .send({ method: 'PUT', target: '/v2/ns/blobs/uploads/1', scopes, body })
        .then(
          () => null,
          (e: unknown) => e,
        )
      expect(err).toBeInstanceOf(AppError)
      expect((err as AppError).code).toBe(code)
      expect(registry.seen.length - before).toBeLessThanOrEqual(1)
    }
    const opened = await session(registry.url)
      .send({
        method: 'PUT',
        target: '/v2/ns/blobs/uploads/1',
        scopes,
        body: () => {
          throw new AppError('ENOTFOUND', 'no such blob')
        },
      })
      .catch((e: unknown) => e)
    expect((opened as AppError).code).toBe('ENOTFOUND')
  })

  it('an upload Location that does not parse is PUBLISH_BAD_RESPONSE, its value never repeated', async () => {
    for (const location of ['http://[', 'http://[secret-state', 'ftp://h/upload?_state=secret']) {
      const registry = await serve((req, res) => {
        if (req.method === 'HEAD') res.writeHead(404).end()
        else res.writeHead(202, { location }).end()
      })
      const err = await failure(
        pushBlob(session(registry.url), 'ns/templates/seo', {
          digest: `sha256:${'a'.repeat(64)}`,
          size: 1,
          body: Buffer.from('a'),
        }),
      )
      expect(err.code).toBe('PUBLISH_BAD_RESPONSE')
      expect(err.message).toContain('bad Location')
      expect(JSON.stringify({ message: err.message, context: err.context })).not.toMatch(
        /secret|http:\/\/\[/,
      )
    }
  })

  it('uploads to a Location on another origin without sending credentials there', async () => {
    const storage = await serve((_req, res) => res.writeHead(201).end())
    const basic = `Basic ${Buffer.from(`robot:${PASSWORD}`).toString('base64')}`
    const registry = await serve((req, res) => {
      if (req.headers.authorization !== basic) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end()
      } else if (req.method === 'HEAD') {
        res.writeHead(404).end()
      } else {
        res.writeHead(202, { location: `${storage.url.origin}/upload/1?_state=abc` }).end()
      }
    })
    const digest = `sha256:${'a'.repeat(64)}`
    await pushBlob(session(registry.url), 'ns/templates/seo', {
      digest,
      size: 1,
      body: Buffer.from('a'),
    })
    expect(storage.seen).toHaveLength(1)
    expect(storage.seen[0]!.authorization).toBeUndefined()
    const put = new URL(storage.seen[0]!.url, storage.url)
    expect(put.searchParams.get('digest')).toBe(digest)
    expect(put.searchParams.get('_state')).toBe('abc')
  })
})
