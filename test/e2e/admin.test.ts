// Admin end to end over real HTTP and the real CLI: a pinned template keeps serving its pin while
// pushes land, until it is unpinned; `asset-cache pin | unpin | refresh | ls | gc` as a user runs them.

import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { RunningServer } from '../../src/http/server.js'
import { cli as runCli } from '../support/cli.js'
import { type GitRepo, push, pushPayload, sendWebhook } from '../support/gitea/index.js'
import { type Stack, startStack } from '../support/stack.js'
import { until } from '../support/wait.js'

const TOKEN = 'gitea-read-token'
const SECRET = 'hook-secret'
const ADMIN = randomBytes(32).toString('hex')

let stack: Stack
let repo: GitRepo
let server: RunningServer

/** The CLI in a child process (asynchronous: the server answers from this process). */
const cli = (args: string[], env: Record<string, string> = {}) =>
  runCli(args, { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env })

const local = () => ({
  ASSET_CACHE_DATA_DIR: stack.dataDir,
  ASSET_CACHE_TEMPLATES: stack.templatesFile,
})
const remote = () => ({ ASSET_CACHE_SERVER: server.url, ASSET_CACHE_ADMIN_TOKEN: ADMIN })

const resolveSeo = async () =>
  (await (await fetch(`${server.url}/v1/templates/seo`)).json()) as {
    digest: string
    commit: string
    pinned: boolean
  }
const currentOf = () => {
  const { index } = server.runtime
  const t = index.templates.get('seo')!
  return t.currentVersionId ? index.versions.get(t.currentVersionId) : null
}

beforeEach(async () => {
  stack = await startStack({
    repos: [{ name: 'seo', files: { 'config.yaml': 'name: seo\n', 'prompts/a.md': 'one\n' } }],
    tokens: { gitea: TOKEN, webhookSecret: SECRET, admin: ADMIN },
    env: { ASSET_CACHE_KEEP_VERSIONS: '1' },
    server: { jobBackoffBaseMs: 20 },
  })
  ;({ repo, server } = stack)
  const head = await repo.head()
  await until(() => currentOf()?.commit === head)
})

afterEach(async () => {
  await stack.stop()
})

describe('a pinned template', () => {
  it('ignores new pushes until it is unpinned', async () => {
    const first = await resolveSeo()
    const pinned = await cli(['pin', 'seo', first.digest], remote())
    expect(pinned.stderr).toBe('')
    expect(pinned.code).toBe(0)
    expect(pinned.stdout).toContain(`pinned seo to ${first.digest}`)

    const payload = await push(repo, { 'prompts/a.md': 'two\n' })
    const hook = await sendWebhook(`${server.url}/hooks/gitea`, {
      secret: SECRET,
      event: 'push',
      payload,
    })
    expect(hook.status).toBe(202)
    // The push is fetched and becomes current …
    await until(() => currentOf()?.commit === payload.after)
    // … but provisioners keep getting the pin, and are told it is a pin.
    expect(await resolveSeo()).toMatchObject({
      digest: first.digest,
      commit: first.commit,
      pinned: true,
    })

    const unpinned = await cli(['unpin', 'seo'], remote())
    expect(unpinned.code).toBe(0)
    const after = await resolveSeo()
    expect(after).toMatchObject({ commit: payload.after, pinned: false })
    expect(after.digest).not.toBe(first.digest)
  })
})

describe('a rollback to a commit whose bundle gc evicted', () => {
  it('fetches it again instead of serving nothing', async () => {
    const first = await repo.head()
    for (const body of ['two\n', 'three\n']) {
      const payload = await push(repo, { 'prompts/a.md': body })
      await sendWebhook(`${server.url}/hooks/gitea`, { secret: SECRET, event: 'push', payload })
      await until(() => currentOf()?.commit === payload.after)
    }
    const gc = await fetch(`${server.url}/v1/admin/gc`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ budget: 0 }),
    })
    const evicted = ((await gc.json()) as { removed: unknown[] }).removed
    expect(evicted).toHaveLength(2) // all but the current one (ASSET_CACHE_KEEP_VERSIONS=1)
    // Roll the branch back (a force push) to the first commit, whose bundle is gone.
    await repo.git('update-ref', 'refs/heads/main', first)
    const payload = await pushPayload(repo)
    await sendWebhook(`${server.url}/hooks/gitea`, { secret: SECRET, event: 'push', payload })
    await until(
      async () =>
        (await fetch(`${server.url}/v1/templates/seo`)).status === 200 &&
        currentOf()?.commit === first,
    )
    const resolved = await resolveSeo()
    expect(resolved.commit).toBe(first)
    expect((await fetch(`${server.url}/v1/bundles/${resolved.digest}`)).status).toBe(200)
  })
})

describe('admin CLI', () => {
  it('refresh queues a job on the server; a wrong token fails with the code and never echoes it', async () => {
    const ok = await cli(['refresh', 'seo', '--force'], remote())
    expect(ok.code).toBe(0)
    expect(ok.stdout).toMatch(/refresh of seo (queued|already queued) \(job \d+\)/)
    const bad = await cli(['refresh', 'seo', '--token', 'not-the-admin-token'], {
      ASSET_CACHE_SERVER: server.url,
    })
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('UNAUTHORIZED')
    expect(bad.stderr + bad.stdout).not.toContain('not-the-admin-token')
    const none = await cli(['unpin', 'seo'], { ASSET_CACHE_SERVER: server.url })
    expect(none.code).toBe(2)
    expect(none.stderr).toContain('ASSET_CACHE_ADMIN_TOKEN')
    const badPin = await cli(['pin', 'seo', `sha256:${'0'.repeat(64)}`], remote())
    expect(badPin.code).toBe(1)
    expect(badPin.stderr).toContain('NOT_A_READY_VERSION')
  })

  it('ls shows each template status and the last rejection reason', async () => {
    const payload = await push(repo, { 'config.yaml': '- not\n- a mapping\n' })
    await sendWebhook(`${server.url}/hooks/gitea`, { secret: SECRET, event: 'push', payload })
    await until(
      () => server.runtime.index.versions.byCommit('seo', payload.after)?.status === 'rejected',
    )
    const ls = await cli(['ls'], local())
    expect(ls.code).toBe(0)
    const row = ls.stdout.split('\n').find((l) => l.startsWith('seo'))!
    expect(row).toContain('stale')
    expect(row).toContain('CONFIG_NOT_MAPPING')
    expect(ls.stdout.split('\n')[0]).toContain('LAST ERROR')
    const history = await cli(['ls', 'seo'], local())
    expect(history.stdout).toContain('rejected')
    expect(history.stdout).toContain('CONFIG_NOT_MAPPING')
  })

  it('gc --dry-run reports and removes nothing; gc removes beside the running server', async () => {
    for (const body of ['two\n', 'three\n']) {
      const payload = await push(repo, { 'prompts/a.md': body })
      await sendWebhook(`${server.url}/hooks/gitea`, { secret: SECRET, event: 'push', payload })
      await until(() => currentOf()?.commit === payload.after)
    }
    expect(server.runtime.index.bundles.all()).toHaveLength(3)
    const env = { ...local(), ASSET_CACHE_KEEP_VERSIONS: '1', ASSET_CACHE_STORE_BUDGET: '1' }
    const dry = await cli(['gc', '--dry-run'], env)
    expect(dry.code).toBe(0)
    expect(dry.stdout).toContain('would remove 2 bundle(s)')
    expect(server.runtime.index.bundles.all()).toHaveLength(3)
    const real = await cli(['gc', '--json'], env)
    expect(real.code).toBe(0)
    const report = JSON.parse(real.stdout) as { removed: unknown[]; freedBytes: number }
    expect(report.removed).toHaveLength(2)
    expect(report.freedBytes).toBeGreaterThan(0)
    expect(server.runtime.index.bundles.all()).toHaveLength(1)
    // The server keeps serving its current bundle.
    const current = await resolveSeo()
    expect((await fetch(`${server.url}/v1/bundles/${current.digest}`)).status).toBe(200)
    const badBudget = await cli(['gc', '--budget', 'lots'], local())
    expect(badBudget.code).toBe(2)
  })
})
