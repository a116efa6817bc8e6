import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ClientError, pull, readState, resolve } from '../../src/client/index.js'
import { snapshot } from './snapshot.js'
import { bundleOf, digestOfBytes, publish, TOKEN } from './stub-server.js'
import { stubSuite } from './stub-suite.js'

const COMMIT = 'c'.repeat(40)

const FILES = [
  { path: 'config.yaml', body: 'name: seo\n' },
  { path: 'prompts/system.md', body: 'You are helpful.\n' },
  { path: 'agent-skills/run.sh', body: '#!/bin/sh\necho hi\n', mode: 0o755 as const },
]

const ctx = stubSuite('pull-')

const opts = () => ({ into: ctx.dir, token: TOKEN })

/** The error a call rejects with. */
async function failure(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p
  } catch (err) {
    return err as Error & { code?: string }
  }
  throw new Error('expected a failure')
}

describe('pull: happy path', () => {
  it('writes every file with its mode and records the state', async () => {
    const digest = publish(ctx.stub, 'seo', await bundleOf(FILES), COMMIT)
    const result = await pull(ctx.stub.url, 'seo', opts())
    expect(result).toEqual({
      status: 'pulled',
      digest,
      commit: COMMIT,
      files: ['agent-skills/run.sh', 'config.yaml', 'prompts/system.md'],
      written: ['agent-skills/run.sh', 'config.yaml', 'prompts/system.md'],
      removed: [],
      kept: [],
    })
    expect(await readFile(join(ctx.dir, 'config.yaml'), 'utf8')).toBe('name: seo\n')
    expect(await readFile(join(ctx.dir, 'prompts/system.md'), 'utf8')).toBe('You are helpful.\n')
    expect((await stat(join(ctx.dir, 'agent-skills/run.sh'))).mode & 0o777).toBe(0o755)
    expect((await stat(join(ctx.dir, 'config.yaml'))).mode & 0o777).toBe(0o644)
    const state = await readState(ctx.dir)
    expect(state).toMatchObject({ template: 'seo', digest, commit: COMMIT })
    expect(state?.files).toHaveLength(3)
    // nothing of the staging area is left behind
    expect(Object.keys(await snapshot(ctx.dir)).filter((p) => p.includes('staging'))).toEqual([])
    expect(ctx.stub.requests.every((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true)
  })

  it('a second pull sends If-None-Match, gets 304 and changes nothing', async () => {
    const digest = publish(ctx.stub, 'seo', await bundleOf(FILES))
    await pull(ctx.stub.url, 'seo', opts())
    const before = await snapshot(ctx.dir)
    ctx.stub.requests.length = 0
    expect(await pull(ctx.stub.url, 'seo', opts())).toEqual({ status: 'unchanged', digest })
    expect(ctx.stub.requests).toHaveLength(1)
    expect(ctx.stub.requests[0]!.headers['if-none-match']).toBe(`"${digest}"`)
    expect(await snapshot(ctx.dir)).toEqual(before)
  })

  it('a new version replaces bundle files, removes the ones it dropped, leaves others alone', async () => {
    publish(ctx.stub, 'seo', await bundleOf(FILES))
    await pull(ctx.stub.url, 'seo', opts())
    await writeFile(join(ctx.dir, 'MEMORY.md'), 'mine')
    await mkdir(join(ctx.dir, 'workspace'))
    await writeFile(join(ctx.dir, 'workspace/notes.txt'), 'notes')
    await writeFile(join(ctx.dir, 'prompts/local.md'), 'local')
    const next = [{ path: 'config.yaml', body: 'name: seo2\n' }]
    const digest = publish(ctx.stub, 'seo', await bundleOf(next))
    expect(await pull(ctx.stub.url, 'seo', opts())).toMatchObject({ status: 'pulled', digest })
    expect(await readFile(join(ctx.dir, 'config.yaml'), 'utf8')).toBe('name: seo2\n')
    expect(await readFile(join(ctx.dir, 'MEMORY.md'), 'utf8')).toBe('mine')
    expect(await readFile(join(ctx.dir, 'workspace/notes.txt'), 'utf8')).toBe('notes')
    expect(await readFile(join(ctx.dir, 'prompts/local.md'), 'utf8')).toBe('local')
    // files of the previous bundle that the new one drops are removed, and so is the directory
    // pull created for them once empty; prompts/ still holds a file of the agent's
    const left = Object.keys(await snapshot(ctx.dir))
    expect(left).not.toContain('prompts/system.md')
    expect(left).not.toContain('agent-skills/run.sh')
    expect(left).not.toContain('agent-skills')
    expect(left).toContain('prompts')
    expect((await readState(ctx.dir))?.files).toEqual(['config.yaml'])
  })

  it('pulls by digest without resolving, and is a no-op the second time', async () => {
    const tar = await bundleOf(FILES)
    const digest = digestOfBytes(tar)
    ctx.stub.bundles.set(digest, tar)
    expect(await pull(ctx.stub.url, digest, opts())).toMatchObject({ status: 'pulled', digest })
    expect(ctx.stub.requests.map((r) => r.url)).toEqual([`/v1/bundles/${digest}`])
    expect(await readState(ctx.dir)).toMatchObject({ template: null, digest })
    ctx.stub.requests.length = 0
    expect(await pull(ctx.stub.url, digest, opts())).toEqual({ status: 'unchanged', digest })
    expect(ctx.stub.requests).toHaveLength(0)
  })

  it('streams a large bundle with backpressure', async () => {
    const big = 'x'.repeat(3 * 1024 * 1024)
    const digest = publish(
      ctx.stub,
      'seo',
      await bundleOf([...FILES, { path: 'prompts/big.md', body: big }]),
    )
    expect(await pull(ctx.stub.url, 'seo', opts())).toMatchObject({ status: 'pulled', digest })
    expect((await stat(join(ctx.dir, 'prompts/big.md'))).size).toBe(big.length)
  })

  it('reports progress up to the bundle size', async () => {
    const tar = await bundleOf(FILES)
    publish(ctx.stub, 'seo', tar)
    const seen: [number, number | undefined][] = []
    await pull(ctx.stub.url, 'seo', { ...opts(), onProgress: (n, total) => seen.push([n, total]) })
    expect(seen.at(-1)).toEqual([tar.length, tar.length])
  })

  it('resolve answers the server description', async () => {
    const digest = publish(ctx.stub, 'seo', await bundleOf(FILES), COMMIT)
    const r = await resolve(ctx.stub.url, 'seo', { token: TOKEN })
    expect(r).toMatchObject({ status: 'resolved', digest, commit: COMMIT, name: 'seo' })
    expect(await resolve(ctx.stub.url, 'seo', { token: TOKEN, etag: digest })).toEqual({
      status: 'unchanged',
      digest,
    })
  })
})

describe('pull: server errors', () => {
  it('401 is UNAUTHORIZED', async () => {
    publish(ctx.stub, 'seo', await bundleOf(FILES))
    const err = await failure(pull(ctx.stub.url, 'seo', { into: ctx.dir, token: 'wrong' }))
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('UNAUTHORIZED')
    expect(err.message).toMatch(/401/)
  })

  it('404 is TEMPLATE_NOT_FOUND, or BUNDLE_NOT_FOUND for a digest', async () => {
    expect((await failure(pull(ctx.stub.url, 'nope', opts()))).code).toBe('TEMPLATE_NOT_FOUND')
    const missing = `sha256:${'0'.repeat(64)}`
    expect((await failure(pull(ctx.stub.url, missing, opts()))).code).toBe('BUNDLE_NOT_FOUND')
  })

  it('503 is NOT_READY with the Retry-After', async () => {
    ctx.stub.templates.set('seo', 'not-ready')
    const err = (await failure(pull(ctx.stub.url, 'seo', opts()))) as ClientError
    expect(err.code).toBe('NOT_READY')
    expect(err.context.retryAfter).toBe('30')
    expect(err.message).toMatch(/retry after 30s/)
  })

  it('an unreachable server is SERVER_UNREACHABLE', async () => {
    const err = await failure(pull('http://127.0.0.1:1', 'seo', opts()))
    expect(err.code).toBe('SERVER_UNREACHABLE')
  })

  it('a server that never answers is PULL_TIMEOUT', async () => {
    ctx.stub.stall = true
    const err = await failure(pull(ctx.stub.url, 'seo', { ...opts(), headersTimeoutMs: 200 }))
    expect(err.code).toBe('PULL_TIMEOUT')
  })

  it('a malformed target is INVALID_TARGET', async () => {
    expect((await failure(pull(ctx.stub.url, 'sha256:XYZ', opts()))).code).toBe('INVALID_TARGET')
    expect((await failure(pull(ctx.stub.url, '../x', opts()))).code).toBe('INVALID_TARGET')
  })
})
