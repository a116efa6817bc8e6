// End to end: a Gitea with object storage and SERVE_DIRECT answers the archive route with a
// redirect to a presigned storage URL. Ingest follows it without ever sending the Gitea token or
// a cookie there, within the same byte and commit checks as a streamed archive.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { GiteaClient, GiteaError } from '../../src/gitea/client.js'
import { Secret } from '../../src/secret.js'
import type { ObjectStorage } from '../support/gitea/index.js'
import { fault, push, startObjectStorage } from '../support/gitea/index.js'
import { BRIEF_FILES, QUICK_RETRIES, seoRepo } from '../support/stack.js'
import { stackPerTest } from '../support/stack-per-test.js'
import { until } from '../support/wait.js'

const TOKEN = 'gitea-read-token'

const fx = stackPerTest({
  repos: [seoRepo(BRIEF_FILES, 'Agent-Template-SEO')],
  tokens: { gitea: TOKEN },
  server: QUICK_RETRIES,
})
let storage: ObjectStorage

beforeEach(async () => {
  storage = await startObjectStorage()
  head = await fx.repo.head('main')
})

afterEach(async () => {
  await storage.stop()
  // The storage stand-in fails the test on any request that carried a credential.
  expect(storage.violations).toEqual([])
})

const index = () => fx.server.runtime.index
let head = ''
const versionOf = (commit: string) => index().versions.byCommit('seo', commit)

describe('archive redirect to object storage', () => {
  for (const status of [303, 302, 307] as const) {
    it(`ingests through a ${status} without sending the token or a cookie to storage`, async () => {
      fx.gitea.setArchiveMode({ kind: 'redirect', storage, status })
      await fx.start()
      await until(() => versionOf(head)?.status === 'ready')
      const archive = fx.gitea.requests.filter((r) => r.route === 'archive')
      expect(archive.map((r) => r.status)).toEqual([status])
      expect(storage.requests).toHaveLength(1)
      expect(storage.requests[0]!.headers).not.toContain('authorization')
      expect(storage.requests[0]!.headers).not.toContain('cookie')
    })
  }

  it('keeps the commit check: another commit behind the redirect is COMMIT_MISMATCH', async () => {
    fx.gitea.setArchiveMode({ kind: 'redirect', storage, status: 303 })
    // The first parent's archive is served for the head.
    head = (await push(fx.repo, { 'prompts/new.md': 'new\n' })).after
    fx.gitea.faults.inject('archive', fault.wrongCommit(), { times: 100 })
    await fx.start()
    await until(() => versionOf(head)?.status === 'rejected')
    expect(versionOf(head)?.reasonCode).toBe('COMMIT_MISMATCH')
  })

  it('keeps the byte bound: an archive over the limit behind the redirect is TOO_LARGE', async () => {
    fx.gitea.setArchiveMode({ kind: 'redirect', storage, status: 303 })
    await fx.start({ ASSET_CACHE_MAX_ARCHIVE_SIZE: '64B' })
    await until(() => versionOf(head)?.status === 'rejected')
    expect(versionOf(head)?.reasonCode).toBe('TOO_LARGE')
  })
})

describe('redirects the client refuses to follow', () => {
  let other: Server
  let otherUrl: string
  let seen: { url: string; authorization?: string }[]
  let answer: (url: string) => { status: number; location?: string }

  beforeEach(async () => {
    seen = []
    other = createServer((req, res) => {
      seen.push({ url: req.url ?? '', authorization: req.headers.authorization })
      const a = answer(req.url ?? '')
      res.writeHead(a.status, a.location ? { location: a.location } : {})
      res.end()
    })
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve))
    otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`
  })

  afterEach(async () => {
    other.closeAllConnections()
    await new Promise<void>((resolve) => other.close(() => resolve()))
  })

  const open = async () => {
    const client = new GiteaClient({
      baseUrl: new URL(otherUrl),
      token: new Secret(TOKEN),
      now: Date.now,
    })
    try {
      return await client.openArchive('acme/seo', 'a'.repeat(40)).then(
        () => null,
        (err: unknown) => err as GiteaError,
      )
    } finally {
      await client.close()
    }
  }

  it('stops after 3 redirects, sending the token to Gitea only', async () => {
    answer = (url) => ({ status: 303, location: `/storage/hop${url.length}` })
    const err = await open()
    expect(err).toBeInstanceOf(GiteaError)
    expect(err!.code).toBe('GITEA_REFUSED')
    expect(err!.message).toMatch(/more than 3 redirects/)
    expect(seen).toHaveLength(4)
    expect(seen.map((s) => s.authorization)).toEqual([
      `token ${TOKEN}`,
      undefined,
      undefined,
      undefined,
    ])
  })

  it('refuses a redirect to anything but http(s)', async () => {
    for (const location of [
      'ftp://storage.example/a.tar.gz',
      'file:///etc/passwd',
      'javascript:x',
    ]) {
      answer = () => ({ status: 303, location })
      const err = await open()
      expect(err?.code).toBe('GITEA_REFUSED')
      expect(err?.message).not.toContain(location)
    }
  })

  it('retries storage that refuses the presigned URL (expired), naming only its origin', async () => {
    answer = (url) =>
      url.startsWith('/api/')
        ? { status: 303, location: `${otherUrl}/bucket/a.tar.gz?X-Amz-Signature=secret-sig` }
        : { status: 403 }
    const err = await open()
    expect(err?.code).toBe('GITEA_UNAVAILABLE')
    expect(err?.retryable).toBe(true)
    expect(err?.message).toContain(otherUrl)
    expect(err?.message).not.toContain('secret-sig')
  })
})
