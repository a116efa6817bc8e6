import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { pullCommand } from '../../src/cli/pull.js'
import { capture } from './capture.js'
import { bundleOf, digestOfBytes, publish, rawTar, TOKEN } from './stub-server.js'
import { pullCli, stubSuite } from './stub-suite.js'

const ctx = stubSuite('pull-exit-', {
  each: async ({ stub }) => {
    publish(stub, 'seo', await bundleOf([{ path: 'config.yaml', body: 'v1\n' }]))
  },
})

const run = (target: string, extra: Record<string, string> = {}) =>
  capture(() =>
    pullCommand(target, { into: ctx.dir, server: ctx.stub.url, token: TOKEN, ...extra }),
  )

/** The CLI as a user runs it (commander's own checks included), without the test's env. */
const cli = (...args: string[]) => pullCli(args)

describe('pull exit codes', () => {
  it('0: pulled, then unchanged', async () => {
    expect((await run('seo')).code).toBe(0)
    expect(await run('seo')).toMatchObject({ code: 0, stdout: expect.stringMatching(/^unchanged/) })
  })

  it('1: the server failed, the bytes lied, the bundle was refused, the deadline passed', async () => {
    expect(await run('nope')).toMatchObject({ code: 1, stderr: /TEMPLATE_NOT_FOUND/ })
    const claimed = `sha256:${'1'.repeat(64)}`
    ctx.stub.bundles.set(claimed, await bundleOf([{ path: 'config.yaml', body: 'x' }]))
    expect(await run(claimed)).toMatchObject({ code: 1, stderr: /EINTEGRITY/ })
    const evil = rawTar([{ name: 'CLAUDE.md', body: 'x' }])
    ctx.stub.bundles.set(digestOfBytes(evil), evil)
    expect(await run(digestOfBytes(evil))).toMatchObject({ code: 1, stderr: /AGENT_OWNED_PATH/ })
    expect(await run('seo', { server: 'http://127.0.0.1:1' })).toMatchObject({
      code: 1,
      stderr: /SERVER_UNREACHABLE/,
    })
    ctx.stub.stall = true
    expect(await run('seo', { timeout: '200ms' })).toMatchObject({
      code: 1,
      stderr: /PULL_TIMEOUT/,
    })
  })

  it('2: a bad flag value, a server URL that is not one, a malformed target', async () => {
    for (const timeout of ['soon', '0s', '-1m', '99d', '']) {
      expect(await run('seo', { timeout })).toMatchObject({ code: 2, stderr: /--timeout/ })
    }
    for (const server of ['not a url', 'ftp://127.0.0.1/', 'file:///etc']) {
      expect(await run('seo', { server })).toMatchObject({ code: 2, stderr: /INVALID_SERVER_URL/ })
    }
    for (const target of ['sha256:XYZ', '../x', '']) {
      expect(await run(target)).toMatchObject({ code: 2, stderr: /INVALID_TARGET/ })
    }
    expect(ctx.stub.requests).toEqual([])
  })

  it('pull oci:// honours --timeout like pull: 1 TIMEOUT past it, 2 for a bad value', async () => {
    // A registry that accepts and never answers.
    const stalled = createServer(() => {})
    await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve))
    const { port } = stalled.address() as AddressInfo
    const target = `oci://127.0.0.1:${port}/templates/seo:latest`
    try {
      expect(await run(target, { timeout: '200ms' })).toMatchObject({ code: 1, stderr: /TIMEOUT/ })
      for (const timeout of ['soon', '0s', '99d']) {
        expect(await run(target, { timeout })).toMatchObject({ code: 2, stderr: /--timeout/ })
      }
    } finally {
      stalled.closeAllConnections()
      await new Promise((resolve) => stalled.close(resolve))
    }
  })

  it('2: no server', async () => {
    const saved = process.env.ASSET_CACHE_SERVER
    delete process.env.ASSET_CACHE_SERVER
    try {
      const r = await capture(() => pullCommand('seo', { into: ctx.dir, token: TOKEN }))
      expect(r).toMatchObject({ code: 2, stderr: /no server/ })
    } finally {
      if (saved !== undefined) process.env.ASSET_CACHE_SERVER = saved
    }
  })

  // Four processes: slow on a busy machine, hence the long timeout (no timing is asserted).
  it('2: no --into, no target, an unknown flag (commander); --help is 0', async () => {
    const [noInto, noTarget, unknown, help] = await Promise.all([
      cli('seo', '--server', ctx.stub.url),
      cli('--into', ctx.dir, '--server', ctx.stub.url),
      cli('seo', '--into', ctx.dir, '--server', ctx.stub.url, '--frobnicate'),
      cli('--help'),
    ])
    expect([noInto.status, noInto.stderr]).toEqual([2, expect.stringMatching(/--into/)])
    expect(noTarget.status).toBe(2)
    expect([unknown.status, unknown.stderr]).toEqual([2, expect.stringMatching(/frobnicate/)])
    expect(help.status).toBe(0)
  }, 120_000)
})
