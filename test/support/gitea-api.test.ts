// The test Gitea's statuses, hooks and git push answer as Gitea does (routers/api/v1/repo/status.go,
// hook.go, utils/hook.go; api.go's reqToken, token scopes and reqAdmin).
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { git } from './git.js'
import { createRepo, type FakeGitea, type GitRepo, startFakeGitea } from './gitea/index.js'

const READ = 'read-token'
const WRITE = 'write-token'
const ADMIN = 'admin-token'

let gitea: FakeGitea
let repo: GitRepo

beforeEach(async () => {
  gitea = await startFakeGitea({
    tokens: [READ],
    tokenAccess: { [WRITE]: { scope: 'write' }, [ADMIN]: { scope: 'write', admin: true } },
  })
  repo = gitea.addRepo(await createRepo({ owner: 'acme', name: 'tpl', files: { 'a.md': 'a' } }))
})
afterEach(() => gitea.stop())

async function call(method: string, path: string, token: string | null, body?: unknown) {
  const res = await request(`${gitea.url}/api/v1/repos/acme/tpl${path}`, {
    method: method as 'GET',
    headers: {
      ...(token ? { authorization: `token ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  })
  const text = await res.body.text()
  return { status: res.statusCode, headers: res.headers, json: text ? JSON.parse(text) : null }
}

describe('commit statuses', () => {
  it('201 with write:repository; 403 for a read-only token; none: 404 if private, else 401', async () => {
    const sha = await repo.head()
    const status = { state: 'success', context: 'ci', description: 'ok', target_url: 'https://x/' }
    // A private repository is hidden (404) before the token requirement is even looked at.
    expect((await call('POST', `/statuses/${sha}`, null, status)).status).toBe(404)
    gitea.addRepo(repo, { private: false })
    expect((await call('POST', `/statuses/${sha}`, null, status)).status).toBe(401)
    const refused = await call('POST', `/statuses/${sha}`, READ, status)
    expect(refused.status).toBe(403)
    expect(refused.json.message).toMatch(/required=\[write:repository\]/)
    const made = await call('POST', `/statuses/${sha}`, WRITE, status)
    expect(made.status).toBe(201)
    expect(made.json).toMatchObject(status)
    expect((await call('POST', `/statuses/${sha}`, WRITE, { state: 'bogus' })).status).toBe(422)
    expect((await call('GET', `/statuses/${sha}`, READ)).json).toEqual([made.json])
    expect(gitea.statuses('ACME/tpl', sha)).toEqual([made.json])
  })
})

describe('hooks', () => {
  const hook = (url: string, extra: Record<string, unknown> = {}) => ({
    type: 'gitea',
    config: { url, content_type: 'json', secret: 's' },
    events: ['push'],
    ...extra,
  })

  it('need repository admin (403), create inactive unless told, never return the secret', async () => {
    expect((await call('GET', '/hooks', WRITE)).status).toBe(403)
    const made = await call('POST', '/hooks', ADMIN, hook('https://a/hooks/gitea'))
    expect(made.status).toBe(201)
    expect(made.json).toMatchObject({ active: false, events: ['push'], branch_filter: '' })
    expect(JSON.stringify(made.json)).not.toContain('"secret"')
  })

  it('list in pages with X-Total-Count; PATCH overwrites events and branch_filter', async () => {
    for (let i = 0; i < 3; i++) await call('POST', '/hooks', ADMIN, hook(`https://h${i}/`))
    const page = await call('GET', '/hooks?page=2&limit=2', ADMIN)
    expect(page.headers['x-total-count']).toBe('3')
    expect(page.json.map((h: { config: { url: string } }) => h.config.url)).toEqual(['https://h2/'])
    const id = page.json[0].id
    await call('PATCH', `/hooks/${id}`, ADMIN, {
      branch_filter: 'main',
      events: ['push'],
      active: true,
    })
    const edited = await call('PATCH', `/hooks/${id}`, ADMIN, { events: [] })
    expect(edited.json).toMatchObject({ branch_filter: '', events: ['push'], active: true })
  })
})

describe('git push over HTTP', () => {
  it('needs a token with write scope, and moves the branch', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'fake-push-')), 'tpl')
    await git(tmpdir(), ['clone', '-q', `${gitea.url}/acme/tpl.git`, dir])
    const env = {
      GIT_AUTHOR_NAME: 'a',
      GIT_AUTHOR_EMAIL: 'a@example.com',
      GIT_COMMITTER_NAME: 'a',
      GIT_COMMITTER_EMAIL: 'a@example.com',
    }
    await git(dir, ['commit', '-q', '--allow-empty', '-m', 'x'], { env })
    const readOnly = new URL(`${gitea.url}/acme/tpl.git`)
    readOnly.username = 'u'
    readOnly.password = READ
    await expect(git(dir, ['push', '-q', readOnly.href, 'main'])).rejects.toThrow()
    const writer = new URL(readOnly)
    writer.password = WRITE
    await git(dir, ['push', '-q', writer.href, 'main'])
    expect(await repo.head()).toBe((await git(dir, ['rev-parse', 'HEAD'])).trim())
  })
})
