// End to end against the test Gitea: every verdict on a commit is posted back as a commit status
// (pending when the fetch starts, then success with the digest or failure with the code and the
// path), linked to the version's admin page; a Gitea that refuses statuses changes nothing else.
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type RunningServer, startServer } from '../../src/http/server.js'
import { silentLogger } from '../../src/log.js'
import type { FakeGitea, GitRepo } from '../support/gitea/index.js'
import { fault, createRepo as makeRepo, startFakeGitea } from '../support/gitea/index.js'
import { testConfig } from '../support/runtime.js'
import { BRIEF_FILES, QUICK_RETRIES } from '../support/stack.js'
import { until } from '../support/wait.js'

const READ = 'gitea-read-token'
const WRITE = 'gitea-status-token'
const SECRET = 'webhook-secret-for-statuses'
const PUBLIC = 'https://cache.example.com/base/'
const ADMIN = 'c8e1f4a92b7d3e6a0f5c1b8d4e7a2f93'

/** The template's admin page, signed in, and the admin API's versions. */
async function adminViews(running: RunningServer) {
  const login = await fetch(`${running.url}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: running.url },
    body: new URLSearchParams({ token: ADMIN }).toString(),
  })
  const cookie = /^(asset_cache_admin=[^;]*)/.exec(login.headers.get('set-cookie') ?? '')?.[1]
  const page = await (
    await fetch(`${running.url}/admin/templates/seo`, { headers: { cookie: cookie ?? '' } })
  ).text()
  const { versions } = (await (
    await fetch(`${running.url}/v1/admin/templates/seo/versions`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    })
  ).json()) as { versions: { id: number; commitStatus: Record<string, unknown> | null }[] }
  return { page, api: versions }
}

let gitea: FakeGitea
let repo: GitRepo
let server: RunningServer | null = null

beforeEach(async () => {
  gitea = await startFakeGitea({ tokens: [READ], tokenAccess: { [WRITE]: { scope: 'write' } } })
  repo = gitea.addRepo(
    await makeRepo({
      owner: 'acme',
      name: 'agent-template-seo',
      files: BRIEF_FILES,
    }),
  )
})

afterEach(async () => {
  await server?.close(1_000)
  server = null
  await gitea.stop()
})

async function start(statusToken: string) {
  const config = testConfig([{ name: 'seo', repo: repo.fullName, ref: 'main' }], {
    GITEA_BASE_URL: gitea.url,
    GITEA_TOKEN: READ,
    GITEA_STATUS_TOKEN: statusToken,
    ASSET_CACHE_PUBLIC_URL: PUBLIC,
    ASSET_CACHE_WEBHOOK_SECRET: SECRET,
    ASSET_CACHE_ADMIN_TOKEN: ADMIN,
    ASSET_CACHE_RECONCILE_INTERVAL: '1h',
  })
  server = await startServer(config, {
    logger: silentLogger,
    ...QUICK_RETRIES,
  })
  return server
}

/** Statuses of `sha`, oldest first. */
const posted = (sha: string) => gitea.statuses(repo.fullName, sha).reverse()

async function settled(running: RunningServer, sha: string) {
  await until(() => {
    const row = running.runtime.index.commitStatuses.latest('seo', sha)
    return row !== null && row.result !== 'queued' && row.state !== 'pending'
  })
  return running.runtime.index.commitStatuses.latest('seo', sha)!
}

async function metric(running: RunningServer, sample: string): Promise<number> {
  const text = await running.metrics.text()
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `))
  return line ? Number(line.split(' ')[1]) : 0
}

describe('commit statuses', () => {
  it('a good commit gets pending, then success carrying the digest, linked to its version', async () => {
    const running = await start(WRITE)
    const head = await repo.head()
    const row = await settled(running, head)
    expect(row.result).toBe('posted')
    const version = running.runtime.index.versions.byCommit('seo', head)!
    expect(version.status).toBe('ready')
    const statuses = posted(head)
    expect(statuses.map((s) => s.state)).toEqual(['pending', 'success'])
    expect(statuses.every((s) => s.context === 'asset-cache/seo')).toBe(true)
    expect(statuses[1]!.description).toBe(`ready: ${version.digest}`)
    expect(statuses[1]!.target_url).toBe(
      `https://cache.example.com/base/admin/templates/seo#version-${version.id}`,
    )
    expect(statuses[0]!.target_url).toBe('https://cache.example.com/base/admin/templates/seo')
    expect(await metric(running, 'asset_cache_commit_status_posts_total{result="posted"}')).toBe(2)
    const { page, api } = await adminViews(running)
    expect(api[0]!.commitStatus).toMatchObject({ state: 'success', result: 'posted', attempts: 1 })
    expect(page).toContain(`id="version-${version.id}"`)
    expect(page).toMatch(/status <b>success<\/b> posted/)
  })

  it('a hostile commit gets failure naming the reason code and the offending path', async () => {
    await repo.commit({ 'prompts/escape.md': { symlink: '../../etc/passwd' } })
    const running = await start(WRITE)
    const head = await repo.head()
    await settled(running, head)
    const version = running.runtime.index.versions.byCommit('seo', head)!
    expect(version).toMatchObject({ status: 'rejected', reasonCode: 'LINK_IN_ALLOWED_PATH' })
    const last = posted(head).at(-1)!
    expect(last.state).toBe('failure')
    expect(last.description).toBe('rejected: LINK_IN_ALLOWED_PATH in prompts/escape.md')
    expect(last.target_url).toContain(`#version-${version.id}`)
  })

  it('a commit whose archive cannot be fetched after the retries gets error', async () => {
    gitea.faults.inject('archive', fault.status500())
    const running = await start(WRITE)
    const head = await repo.head()
    await until(() => posted(head).some((s) => s.state === 'error'))
    const error = posted(head).find((s) => s.state === 'error')!
    expect(error.description).toMatch(/^fetch failed after retries: GITEA_[A-Z_]+$/)
    expect(running.runtime.index.versions.byCommit('seo', head)?.status).toBe('failed')
  })

  it('a commit the cache itself fails on (its blob directory is gone) gets error, not pending', async () => {
    const running = await start(WRITE)
    await settled(running, await repo.head())
    // A real fault of our own: the store's blob tree replaced by a file, so no put can publish.
    const blobs = join(running.runtime.config.dataDir, 'blobs', 'sha256')
    await rm(blobs, { recursive: true, force: true })
    await writeFile(blobs, 'not a directory\n')
    await repo.commit({ 'prompts/new.md': 'new\n' })
    const head = await repo.head()
    const refresh = await fetch(`${running.url}/v1/admin/templates/seo/refresh`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: '{}',
    })
    expect(refresh.status).toBe(202)
    await until(() => posted(head).some((s) => s.state === 'error'))
    const error = posted(head).find((s) => s.state === 'error')!
    expect(error.description).toMatch(/^the cache failed on this commit: [A-Z_]+$/)
    expect(error.description).not.toMatch(/GITEA_/)
    expect(running.runtime.index.versions.byCommit('seo', head)?.status).not.toBe('ready')
  })

  it('a Gitea that refuses statuses (read-only token: 403) changes nothing else', async () => {
    const running = await start(READ)
    const head = await repo.head()
    const row = await settled(running, head)
    expect(row).toMatchObject({ result: 'failed', httpStatus: 403, attempts: 1 })
    expect(row.lastError).toMatch(/^HTTP 403: token does not have .*write:repository/)
    expect(posted(head)).toEqual([])
    // The ingest is untouched: ready, current, served.
    const version = running.runtime.index.versions.byCommit('seo', head)!
    expect(version.status).toBe('ready')
    const res = await fetch(`${running.url}/v1/templates/seo`)
    expect(res.status).toBe(200)
    expect(((await res.json()) as { digest: string }).digest).toBe(version.digest)
    // A refusal is not retried: one POST per status, both counted as failed.
    await until(() => running.runtime.index.commitStatuses.queued().count === 0)
    const posts = gitea.requests.filter((r) => r.method === 'POST' && r.path.includes('/statuses/'))
    expect(posts.map((r) => r.status)).toEqual([403, 403])
    expect(await metric(running, 'asset_cache_commit_status_posts_total{result="failed"}')).toBe(2)
    expect(await metric(running, 'asset_cache_commit_status_posts_total{result="posted"}')).toBe(0)
    const { page, api } = await adminViews(running)
    expect(api[0]!.commitStatus).toMatchObject({
      state: 'success',
      result: 'failed',
      httpStatus: 403,
    })
    expect(page).toMatch(/status <b>success<\/b> failed — HTTP 403: token does not have/)
  })
})
