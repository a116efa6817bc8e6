import type { IncomingMessage, ServerResponse } from 'node:http'
import { describe, expect, it } from 'vitest'
import { ClientError, pull } from '../../src/client/index.js'
import { snapshot } from './snapshot.js'
import { bundleOf, publish, TOKEN } from './stub-server.js'
import { stubSuite } from './stub-suite.js'

let digest: string
const ctx = stubSuite('pull-limits-', {
  each: async ({ stub }) => {
    digest = publish(stub, 'seo', await bundleOf([{ path: 'config.yaml', body: 'v1\n' }]))
  },
})

const MIB = 1024 * 1024

async function failure(p: Promise<unknown>): Promise<ClientError> {
  return p.then(
    () => {
      throw new Error('expected a failure')
    },
    (err: ClientError) => err,
  )
}

/** Answers `prefix` requests with `bytes`, one byte every `everyMs`, as long as the client listens. */
function trickle(prefix: string, bytes: Buffer, everyMs: number, headers = {}) {
  ctx.stub.lie = (req: IncomingMessage, res: ServerResponse) => {
    if (!req.url!.startsWith(prefix)) return false
    res.writeHead(200, { 'content-length': String(bytes.length), ...headers })
    let sent = 0
    const timer = setInterval(() => {
      if (sent === bytes.length) return res.end()
      res.write(bytes.subarray(sent, ++sent))
    }, everyMs)
    res.on('close', () => clearInterval(timer))
    return true
  }
}

/** Answers `prefix` requests with `head`, then `bytes`, then keeps the connection open. */
function endless(prefix: string, status: number, bytes: number, headers = {}) {
  ctx.stub.lie = (req: IncomingMessage, res: ServerResponse) => {
    if (!req.url!.startsWith(prefix)) return false
    res.writeHead(status, { 'content-type': 'application/json', ...headers })
    res.write(`{"error":{"code":"X","message":"${'x'.repeat(bytes)}`)
    return true
  }
}

describe('bounded reads', () => {
  it('a resolve answer over 1 MiB is RESPONSE_TOO_LARGE, even when it is valid JSON', async () => {
    ctx.stub.lie = (req, res) => {
      if (!req.url!.startsWith('/v1/templates/')) return false
      const t = ctx.stub.templates.get('seo') as { digest: string; commit: string; tar: Buffer }
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({
          digest: t.digest,
          commit: t.commit,
          size: t.tar.length,
          padding: 'x'.repeat(2 * MIB),
        }),
      )
      return true
    }
    const before = await snapshot(ctx.dir)
    const err = await failure(pull(ctx.stub.url, 'seo', { into: ctx.dir, token: TOKEN }))
    expect(err.code).toBe('RESPONSE_TOO_LARGE')
    expect(err.context.limit).toBe(MIB)
    expect(await snapshot(ctx.dir)).toEqual(before)
  })

  it('a resolve answer that never ends stops being read at the bound', async () => {
    endless('/v1/templates/', 200, 2 * MIB)
    const err = await failure(pull(ctx.stub.url, 'seo', { into: ctx.dir, token: TOKEN }))
    expect(err.code).toBe('RESPONSE_TOO_LARGE')
  })

  it('an error body that never ends is not read past 64 KiB: the status code stands', async () => {
    endless('/v1/templates/', 500, 2 * MIB)
    const err = await failure(pull(ctx.stub.url, 'seo', { into: ctx.dir, token: TOKEN }))
    expect(err.code).toBe('SERVER_ERROR')
    expect(err.message).toMatch(/error body over 65536 bytes, not read/)
  })

  it('an error body declared past the bound is not read at all', async () => {
    endless('/v1/bundles/', 503, 10, { 'content-length': String(1024 * MIB) })
    const err = await failure(pull(ctx.stub.url, digest, { into: ctx.dir, token: TOKEN }))
    expect(err.code).toBe('NOT_READY')
  })
})

describe('the deadline of a whole pull', () => {
  it('a bundle trickled a byte at a time fails PULL_TIMEOUT at the deadline, DIR untouched', async () => {
    await pull(ctx.stub.url, 'seo', { into: ctx.dir, token: TOKEN })
    const next = await bundleOf([{ path: 'config.yaml', body: 'v2\n' }])
    publish(ctx.stub, 'seo', next)
    trickle('/v1/bundles/', next, 10)
    const before = await snapshot(ctx.dir)
    const err = await failure(
      pull(ctx.stub.url, 'seo', { into: ctx.dir, token: TOKEN, timeoutMs: 300 }),
    )
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('PULL_TIMEOUT')
    expect(err.context.timeoutMs).toBe(300)
    expect(err.message).toMatch(/within 300ms/)
    expect(await snapshot(ctx.dir)).toEqual(before)
  })

  it('a trickled resolve answer fails PULL_TIMEOUT too', async () => {
    const t = ctx.stub.templates.get('seo') as { digest: string; commit: string; tar: Buffer }
    const json = JSON.stringify({ digest: t.digest, commit: t.commit, size: t.tar.length })
    trickle('/v1/templates/', Buffer.from(json.padEnd(4000)), 10, {
      'content-type': 'application/json',
    })
    const err = await failure(
      pull(ctx.stub.url, 'seo', { into: ctx.dir, token: TOKEN, timeoutMs: 300 }),
    )
    expect(err.code).toBe('PULL_TIMEOUT')
  })

  it("the caller's own abort wins over the deadline and keeps its reason", async () => {
    ctx.stub.stall = true
    const reason = new Error('shutting down')
    const controller = new AbortController()
    const pulling = pull(ctx.stub.url, 'seo', {
      into: ctx.dir,
      token: TOKEN,
      signal: controller.signal,
    })
    setImmediate(() => controller.abort(reason))
    expect(await failure(pulling)).toBe(reason)
  })

  it('a timeout that is not a positive whole number of ms is INVALID_OPTION', async () => {
    for (const timeoutMs of [0, -1, 1.5, Number.NaN, 2 ** 31]) {
      const err = await failure(
        pull(ctx.stub.url, 'seo', { into: ctx.dir, token: TOKEN, timeoutMs }),
      )
      expect(err.code).toBe('INVALID_OPTION')
    }
    expect(ctx.stub.requests).toEqual([])
  })
})
