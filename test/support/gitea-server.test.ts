// The fake Gitea itself: real git, Gitea's wire shapes, each fault, and webhook signatures.
import { createHmac } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gunzipSync } from 'node:zlib'
import { request } from 'undici'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { FakeGitea, GitRepo } from './gitea/index.js'
import {
  createPayload,
  createRepo,
  deletePayload,
  fault,
  listArchive,
  push,
  pushPayload,
  startFakeGitea,
  testDeliveryPayload,
} from './gitea/index.js'
import { archivePath, type Fetched, fetchWire } from './gitea-wire.js'

const TOKEN = 'read-only-token'

let gitea: FakeGitea
let repo: GitRepo
let other: GitRepo
let sha256: GitRepo

function get(
  path: string,
  options: {
    token?: string | null
    method?: 'GET' | 'HEAD'
    auth?: string
    timeoutMs?: number
  } = {},
): Promise<Fetched> {
  const authorization =
    options.auth ?? (options.token === null ? undefined : `token ${options.token ?? TOKEN}`)
  return fetchWire(`${gitea.url}${path}`, {
    ...options,
    headers: authorization ? { authorization } : {},
  })
}

const branchPath = (r: GitRepo, branch: string) =>
  `/api/v1/repos/${r.owner}/${r.name}/branches/${branch}`

beforeAll(async () => {
  gitea = await startFakeGitea({ tokens: [TOKEN] })
  repo = await createRepo({
    owner: 'Acme',
    name: 'Agent-Template-SEO',
    files: {
      'config.yaml': 'name: seo\n',
      'prompts/system.md': '# System\n',
      'bin/run.sh': { content: '#!/bin/sh\necho hi\n', mode: 0o755 },
      'docs/link': { symlink: '../config.yaml' },
      Dockerfile: 'FROM scratch\n',
    },
  })
  other = await createRepo({ owner: 'acme', name: 'other', files: { 'config.yaml': 'x: 1\n' } })
  sha256 = await createRepo({
    owner: 'acme',
    name: 'sha',
    objectFormat: 'sha256',
    files: { 'config.yaml': 'a: b\n' },
  })
  gitea.addRepo(repo)
  gitea.addRepo(other)
  gitea.addRepo(sha256, { private: false })
})

afterAll(async () => {
  await gitea.stop()
  await Promise.all([repo.remove(), other.remove(), sha256.remove()])
})

beforeEach(() => gitea.reset())

describe('branch API', () => {
  it('answers the head that git rev-parse gives, shaped like structs.Branch', async () => {
    const head = (await repo.git('rev-parse', 'refs/heads/main')).trim()
    const res = await get(branchPath(repo, 'main'))
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toBe('application/json;charset=utf-8')
    const branch = JSON.parse(res.body.toString())
    expect(branch).toMatchObject({ name: 'main', protected: false, status_check_contexts: [] })
    expect(branch.commit).toMatchObject({
      id: head,
      message: 'Initial commit\n',
      url: `${gitea.url}/Acme/Agent-Template-SEO/commit/${head}`,
      author: { name: 'Template Bot', email: 'template-bot@example.com', username: '' },
      timestamp: '2024-01-01T00:00:00Z',
      verification: { verified: false, reason: 'gpg.error.not_signed_commit' },
    })
  })

  it('matches owner and repo case-insensitively, branch names exactly', async () => {
    expect((await get('/api/v1/repos/ACME/agent-template-seo/branches/main')).status).toBe(200)
    const missing = await get(branchPath(repo, 'MAIN'))
    expect(missing.status).toBe(404)
    expect(JSON.parse(missing.body.toString())).toMatchObject({
      message: "The target couldn't be found.",
      errors: ['branch does not exist [name: MAIN]'],
    })
  })

  it('follows new commits and branches with slashes', async () => {
    await repo.branch('feature/x')
    const sha = await repo.commit({ 'prompts/new.md': 'new\n' }, { branch: 'feature/x' })
    const branch = JSON.parse((await get(branchPath(repo, 'feature/x'))).body.toString())
    expect(branch.commit.id).toBe(sha)
    expect(await repo.head('feature/x')).toBe(sha)
    await repo.deleteBranch('feature/x')
    expect((await get(branchPath(repo, 'feature/x'))).status).toBe(404)
  })
})

describe('archive API', () => {
  it('streams git archive: chunked, no Content-Length, lower-cased prefix, commit in the pax comment', async () => {
    const head = await repo.head()
    const res = await get(archivePath(repo, head))
    expect(res.status).toBe(200)
    expect(res.headers['content-length']).toBeUndefined()
    expect(res.headers['transfer-encoding']).toBe('chunked')
    expect(res.headers['content-type']).toBe('application/octet-stream')
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="Agent-Template-SEO-${head}.tar.gz"; filename*=UTF-8''Agent-Template-SEO-${head}.tar.gz`,
    )
    const listing = listArchive(res.body)
    expect(listing.comment).toBe(head)
    expect(listing.entries.every((e) => e.name.startsWith('agent-template-seo/'))).toBe(true)
    const byName = new Map(listing.entries.map((e) => [e.name, e]))
    expect(byName.get('agent-template-seo/config.yaml')?.content.toString()).toBe('name: seo\n')
    expect((byName.get('agent-template-seo/bin/run.sh')?.mode ?? 0) & 0o111).not.toBe(0)
    expect(byName.get('agent-template-seo/docs/link')).toMatchObject({
      type: '2',
      linkname: '../config.yaml',
    })
    expect(gitea.counters).toMatchObject({
      archiveRequests: 1,
      archiveDownloads: 1,
      archiveBytes: res.body.length,
    })
  })

  it('resolves branches, tags and short ids to the same commit', async () => {
    const head = await repo.head()
    await repo.tag('v1.0.0')
    for (const ref of ['main', 'v1.0.0', head.slice(0, 10)]) {
      expect(listArchive((await get(archivePath(repo, ref))).body).comment).toBe(head)
    }
  })

  it('answers 404 for an unknown ref and 500 for an unknown full id, as Gitea does', async () => {
    expect((await get(archivePath(repo, 'no-such-branch'))).status).toBe(404)
    const missing = await get(archivePath(repo, 'f'.repeat(40)))
    expect(missing.status).toBe(500)
    expect(gitea.counters.archiveDownloads).toBe(0)
  })

  it('answers HEAD with the headers and no body', async () => {
    const res = await get(archivePath(repo, 'main'), { method: 'HEAD' })
    expect(res.status).toBe(200)
    expect(res.body.length).toBe(0)
    expect(res.headers['content-length']).toBeUndefined()
    expect(gitea.counters.archiveDownloads).toBe(0)
  })

  it('serves sha256 repositories', async () => {
    const head = await sha256.head()
    expect(head).toMatch(/^[0-9a-f]{64}$/)
    const branch = JSON.parse(
      (await get(branchPath(sha256, 'main'), { token: null })).body.toString(),
    )
    expect(branch.commit.id).toBe(head)
    expect(listArchive((await get(archivePath(sha256, head), { token: null })).body).comment).toBe(
      head,
    )
  })
})

describe('auth', () => {
  it('hides private repositories behind 404 without a token; an unknown token is 401', async () => {
    expect((await get(branchPath(repo, 'main'), { token: null })).status).toBe(404)
    const wrong = await get(branchPath(repo, 'main'), { token: 'wrong' })
    expect(wrong.status).toBe(401)
    expect(JSON.parse(wrong.body.toString()).message).toBe('invalid username, password or token')
    expect((await get(archivePath(repo, 'main'), { token: null })).status).toBe(404)
    expect((await get(branchPath(repo, 'main'), { auth: `Bearer ${TOKEN}` })).status).toBe(200)
    expect((await get(branchPath(repo, 'main'))).status).toBe(200)
  })

  it('stops accepting a revoked token', async () => {
    gitea.tokens.delete(TOKEN)
    try {
      expect((await get(branchPath(repo, 'main'))).status).toBe(401)
    } finally {
      gitea.tokens.add(TOKEN)
    }
  })
})

describe('faults', () => {
  it('status401, status403 and moved answer as Gitea does', async () => {
    gitea.faults.inject('branch', fault.status401(), { times: 1 })
    gitea.faults.inject('archive', fault.status403(), { times: 1 })
    expect((await get(branchPath(repo, 'main'))).status).toBe(401)
    const forbidden = await get(archivePath(repo, 'main'))
    expect(forbidden.status).toBe(403)
    expect(JSON.parse(forbidden.body.toString()).message).toMatch(/read:repository/)
    gitea.faults.inject('any', fault.moved('NewOwner/new-name'), { times: 1 })
    const moved = await get(branchPath(repo, 'feature/x'))
    expect(moved.status).toBe(301)
    expect(moved.headers.location).toBe('/api/v1/repos/NewOwner/new-name/branches/feature/x')
    gitea.faults.inject('archive', fault.moved('a/b', 307), { times: 1 })
    expect((await get(archivePath(repo, 'main'))).status).toBe(307)
  })

  it('status500 for the next request only, then normal service', async () => {
    const handle = gitea.faults.inject('branch', fault.status500(), { times: 1 })
    expect((await get(branchPath(repo, 'main'))).status).toBe(500)
    expect((await get(branchPath(repo, 'main'))).status).toBe(200)
    expect(handle.rule.applied).toBe(1)
    expect(gitea.requests.map((r) => [r.route, r.status, r.fault])).toEqual([
      ['branch', 500, 'status500'],
      ['branch', 200, null],
    ])
  })

  it('status429 carries Retry-After in seconds', async () => {
    gitea.faults.inject('archive', fault.status429(7), { times: 1 })
    const res = await get(archivePath(repo, 'main'))
    expect(res.status).toBe(429)
    expect(res.headers['retry-after']).toBe('7')
  })

  it('scopes a fault to one repository', async () => {
    gitea.faults.inject('any', fault.status500(), { repo: 'ACME/OTHER' })
    expect((await get(branchPath(other, 'main'))).status).toBe(500)
    expect((await get(archivePath(other, 'main'))).status).toBe(500)
    expect((await get(branchPath(repo, 'main'))).status).toBe(200)
    gitea.faults.clear()
    expect((await get(branchPath(other, 'main'))).status).toBe(200)
  })

  it('delay holds back the status line; slowFirstByte sends headers then stalls', async () => {
    gitea.faults.inject('branch', fault.delay(200), { times: 1 })
    const started = Date.now()
    await get(branchPath(repo, 'main'))
    expect(Date.now() - started).toBeGreaterThanOrEqual(190)

    gitea.faults.inject('archive', fault.slowFirstByte(400), { times: 1 })
    const response = await request(`${gitea.url}${archivePath(repo, 'main')}`, {
      headers: { authorization: `token ${TOKEN}` },
      reset: true,
    })
    const headersAt = Date.now()
    const body = Buffer.from(await response.body.arrayBuffer())
    expect(response.statusCode).toBe(200)
    expect(Date.now() - headersAt).toBeGreaterThanOrEqual(390)
    expect(listArchive(body).comment).toBe(await repo.head())
  })

  it('drip paces the body', async () => {
    const size = (await get(archivePath(repo, 'main'))).body.length
    gitea.faults.inject('archive', fault.drip(128, 15), { times: 1 })
    const started = Date.now()
    const res = await get(archivePath(repo, 'main'))
    expect(res.body.length).toBe(size)
    expect(Date.now() - started).toBeGreaterThanOrEqual((Math.ceil(size / 128) - 1) * 15 - 5)
  })

  it('truncate destroys the socket mid-body: the client sees an error', async () => {
    gitea.faults.inject('archive', fault.truncate(100), { times: 1 })
    await expect(get(archivePath(repo, 'main'))).rejects.toThrow()
    expect(gitea.requests[0]).toMatchObject({ status: 200, bytes: 100, fault: 'truncate' })
  })

  it('truncateClean ends the chunked body early: a 200 whose gzip is cut', async () => {
    gitea.faults.inject('archive', fault.truncateClean(100), { times: 1 })
    const res = await get(archivePath(repo, 'main'))
    expect(res.status).toBe(200)
    expect(res.body.length).toBe(100)
    expect(() => gunzipSync(res.body)).toThrow()
  })

  it('hang never answers; refuse closes the connection', async () => {
    gitea.faults.inject('branch', fault.hang(), { times: 1 })
    await expect(get(branchPath(repo, 'main'), { timeoutMs: 200 })).rejects.toThrow()
    gitea.faults.inject('branch', fault.refuse(), { times: 1 })
    await expect(get(branchPath(repo, 'main'))).rejects.toThrow()
    expect((await get(branchPath(repo, 'main'))).status).toBe(200)
  })

  it('wrongCommit serves another commit for the requested one', async () => {
    const head = await repo.commit({ 'prompts/extra.md': 'more\n' })
    gitea.faults.inject('archive', fault.wrongCommit(), { times: 1 })
    const listing = listArchive((await get(archivePath(repo, head))).body)
    expect(listing.comment).not.toBe(head)
    expect(listing.comment).toBe((await repo.git('rev-parse', `${head}^`)).trim())
  })
})

describe('webhooks', () => {
  let receiver: Server
  let receiverUrl: string
  const received: { headers: IncomingHttpHeaders; body: Buffer }[] = []

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks) })
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"queued"}')
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/gitea`
  })
  afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())))
  beforeEach(() => {
    received.length = 0
  })

  const hmac = (alg: string, data: string | Buffer) =>
    createHmac(alg, 's3cret').update(data).digest('hex')

  it('signs a JSON delivery with every header Gitea sends', async () => {
    const payload = await pushPayload(repo)
    const delivery = await gitea.sendWebhook(receiverUrl, {
      secret: 's3cret',
      event: 'push',
      payload,
    })
    expect(delivery.status).toBe(202)
    expect(JSON.parse(delivery.body)).toEqual({ status: 'queued' })
    const [got] = received
    const body = got!.body
    expect(body.toString()).toBe(JSON.stringify(payload, null, 2))
    expect(got!.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'Go-http-client/1.1',
      'x-gitea-event': 'push',
      'x-gitea-event-type': 'push',
      'x-gitea-delivery': delivery.deliveryId,
      'x-gogs-delivery': delivery.deliveryId,
      'x-github-delivery': delivery.deliveryId,
      'x-github-event': 'push',
      'x-gitea-signature': hmac('sha256', body),
      'x-gogs-signature': hmac('sha256', body),
      'x-hub-signature-256': `sha256=${hmac('sha256', body)}`,
      'x-hub-signature': `sha1=${hmac('sha1', body)}`,
    })
    expect(delivery.deliveryId).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('form deliveries sign the decoded JSON, not the form body', async () => {
    const payload = { ref: 'refs/heads/main', note: 'a&b <c> ~*' }
    await gitea.sendWebhook(receiverUrl, {
      secret: 's3cret',
      event: 'push',
      payload,
      contentType: 'form',
    })
    const [got] = received
    expect(got!.headers['content-type']).toBe('application/x-www-form-urlencoded')
    const json = new URLSearchParams(got!.body.toString()).get('payload')!
    expect(json).toContain('"note": "a\\u0026b \\u003cc\\u003e ~*"')
    expect(got!.headers['x-gitea-signature']).toBe(hmac('sha256', json))
    expect(got!.headers['x-gitea-signature']).not.toBe(hmac('sha256', got!.body))
  })

  it('sends an override or no signature when asked', async () => {
    await gitea.sendWebhook(receiverUrl, {
      secret: 's3cret',
      event: 'push',
      payload: {},
      signatureOverride: 'ab',
    })
    await gitea.sendWebhook(receiverUrl, {
      event: 'push',
      payload: {},
      omitHeaders: ['X-Gitea-Signature'],
    })
    expect(received[0]!.headers['x-hub-signature-256']).toBe('sha256=ab')
    expect(received[1]!.headers['x-gitea-signature']).toBeUndefined()
    expect(received[1]!.headers['x-hub-signature-256']).toBe('sha256=')
  })

  it('create and delete payloads carry the short ref name', async () => {
    const sha = await repo.branch('release')
    expect(await createPayload(repo, { ref: 'release' })).toMatchObject({
      sha,
      ref: 'release',
      ref_type: 'branch',
    })
    expect(deletePayload(repo, { ref: 'v9', refType: 'tag' })).toMatchObject({
      ref: 'v9',
      ref_type: 'tag',
      pusher_type: 'user',
      sender: { login: 'gitea-admin' },
    })
  })

  it('push() commits and describes the push; the test delivery has before == after', async () => {
    const before = await repo.head()
    const payload = await push(repo, { 'prompts/pushed.md': 'hi\n' }, { delete: ['Dockerfile'] })
    expect(payload).toMatchObject({
      ref: 'refs/heads/main',
      before,
      after: await repo.head(),
      total_commits: 1,
    })
    expect(payload.commits[0]).toMatchObject({
      added: ['prompts/pushed.md'],
      removed: ['Dockerfile'],
      modified: [],
    })
    expect(payload.head_commit?.id).toBe(payload.after)
    expect(payload.repository).toMatchObject({
      full_name: 'Acme/Agent-Template-SEO',
      default_branch: 'main',
    })
    expect(payload.compare_url).toBe(
      `${gitea.url}/Acme/Agent-Template-SEO/compare/${before}...${payload.after}`,
    )

    const test = await testDeliveryPayload(repo)
    expect(test.before).toBe(test.after)
    expect(test.after).toBe('0'.repeat(40))
    expect((await testDeliveryPayload(repo, { commit: 'head' })).after).toBe(payload.after)
  })
})
