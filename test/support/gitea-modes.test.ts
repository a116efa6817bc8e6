// The fake Gitea's archive modes and the hold fault, checked on the wire.
import fc from 'fast-check'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  createRepo,
  type FakeGitea,
  fault,
  type GitRepo,
  listArchive,
  parseRange,
  startFakeGitea,
} from './gitea/index.js'
import { archivePath, fetchWire } from './gitea-wire.js'
import { until } from './wait.js'

const TOKEN = 'read-only-token'
let gitea: FakeGitea
let repo: GitRepo
let sha256: GitRepo

const get = (path: string, headers: Record<string, string> = {}, timeoutMs = 10_000) =>
  fetchWire(`${gitea.url}${path}`, {
    headers: { authorization: `token ${TOKEN}`, ...headers },
    timeoutMs,
  })

beforeAll(async () => {
  gitea = await startFakeGitea({ tokens: [TOKEN] })
  repo = gitea.addRepo(
    await createRepo({ owner: 'acme', name: 'Tpl', files: { 'config.yaml': 'a: 1\n' } }),
  )
  sha256 = gitea.addRepo(
    await createRepo({
      owner: 'acme',
      name: 'tpl256',
      objectFormat: 'sha256',
      files: { 'config.yaml': 'a: 1\n' },
    }),
  )
})

afterAll(async () => {
  await gitea.stop()
  await repo.remove()
  await sha256.remove()
})

beforeEach(() => {
  gitea.reset()
  gitea.setArchiveMode({ kind: 'stream' })
})

describe('stream (Gitea 1.25)', () => {
  it('is chunked with no Content-Length, and an unknown full id of either format is a 500', async () => {
    const ok = await get(archivePath(repo, await repo.head()))
    expect(ok.status).toBe(200)
    expect(ok.headers['content-length']).toBeUndefined()
    expect(ok.headers['transfer-encoding']).toBe('chunked')
    expect((await get(archivePath(repo, 'f'.repeat(40)))).status).toBe(500)
    expect((await get(archivePath(sha256, 'f'.repeat(64)))).status).toBe(500)
  })
})

describe('generate (the archive queue)', () => {
  it('answers once the archive is generated, with Content-Length and Accept-Ranges', async () => {
    gitea.setArchiveMode({ kind: 'generate', waitMs: 200 })
    const head = await repo.head()
    const whole = await get(archivePath(repo, head))
    expect(whole.status).toBe(200)
    expect(whole.headers['content-length']).toBe(String(whole.body.length))
    expect(whole.headers['accept-ranges']).toBe('bytes')
    expect(whole.headers['transfer-encoding']).toBeUndefined()
    expect((await listArchive(whole.body)).comment).toBe(head)
  })

  it('honours a Range request with 206, and refuses one past the end with 416', async () => {
    gitea.setArchiveMode({ kind: 'generate', waitMs: 0 })
    const head = await repo.head()
    const whole = (await get(archivePath(repo, head))).body
    const part = await get(archivePath(repo, head), { range: 'bytes=10-99' })
    expect(part.status).toBe(206)
    expect(part.headers['content-range']).toBe(`bytes 10-99/${whole.length}`)
    expect(part.body.equals(whole.subarray(10, 100))).toBe(true)
    const tail = await get(archivePath(repo, head), { range: 'bytes=-16' })
    expect(tail.body.equals(whole.subarray(whole.length - 16))).toBe(true)
    const past = await get(archivePath(repo, head), { range: `bytes=${whole.length}-` })
    expect(past.status).toBe(416)
    expect(past.headers['content-range']).toBe(`bytes */${whole.length}`)
    expect(gitea.counters.rangeRequests).toBe(2)
  })

  it('parses ranges like http.ServeContent for every offset (property)', () => {
    fc.assert(
      fc.property(
        fc.nat(10_000),
        fc.nat(10_000),
        fc.integer({ min: 1, max: 5_000 }),
        (a, b, size) => {
          const r = parseRange(`bytes=${a}-${b}`, size)
          if (a >= size || b < a) expect(r).toBe('unsatisfiable')
          else expect(r).toEqual({ start: a, end: Math.min(b, size - 1) })
        },
      ),
    )
    expect(parseRange(undefined, 10)).toBeNull()
    expect(parseRange('bytes=1-2,4-5', 10)).toBeNull()
    expect(parseRange('items=1-2', 10)).toBeNull()
  })

  it('serves SHA-256 repositories, and answers an unknown commit 500', async () => {
    gitea.setArchiveMode({ kind: 'generate', waitMs: 0 })
    const head = await sha256.head()
    const ok = await get(archivePath(sha256, head))
    expect([ok.status, (await listArchive(ok.body)).comment]).toEqual([200, head])
    expect((await get(archivePath(sha256, 'e'.repeat(64)))).status).toBe(500)
  })
})

describe('legacy-unknown-sha (Gitea ≤ 1.24, Forgejo)', () => {
  it('never answers for an unknown full id; known commits are generated as in generate', async () => {
    gitea.setArchiveMode({ kind: 'legacy-unknown-sha', waitMs: 0 })
    const head = await repo.head()
    expect((await get(archivePath(repo, head))).headers['content-length']).toBeDefined()
    await expect(get(archivePath(repo, 'f'.repeat(40)), {}, 1_000)).rejects.toMatchObject({
      code: 'UND_ERR_HEADERS_TIMEOUT',
    })
    expect(gitea.counters.archivesHung).toBe(1)
    const unknown = gitea.requests.find((r) => r.path.includes('f'.repeat(40)))!
    expect(unknown.status).toBe(0)
  })
})

describe('the hold fault', () => {
  it('answers only once the test opens its gate', async () => {
    let open = () => {}
    const opened = new Promise<void>((resolve) => {
      open = resolve
    })
    gitea.faults.inject('branch', fault.hold(opened), { times: 1 })
    const answer = get(`/api/v1/repos/${repo.owner}/${repo.name}/branches/main`)
    await until(() => gitea.requests.length === 1)
    expect(gitea.requests[0]!.status).toBe(0)
    open()
    expect((await answer).status).toBe(200)
  })
})
