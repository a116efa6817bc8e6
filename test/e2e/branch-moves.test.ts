// End to end: a branch that moves or disappears while the cache works on it.
// - An archive that times out (Gitea's queue still generating it, or a Gitea ≤ 1.24 that never
//   answers for a commit it no longer has) or fails with a 5xx (Gitea 1.25 streaming a commit it
//   no longer has) is not retried once the branch has moved on: the failure is recorded on that
//   commit, the job ends `superseded`, and the new head is fetched.
// - A deleted branch (Gitea sends only a `delete` event) keeps serving its last good bundle, shows
//   "branch deleted" in /readyz (still ready), ls and the admin API, and a push clears it.
import { beforeEach, describe, expect, it } from 'vitest'
import { adviceFor } from '../../src/admin/advice.js'
import { cli } from '../support/cli.js'
import {
  createPayload,
  deletePayload,
  fault,
  push,
  pushPayload,
  sendWebhook,
} from '../support/gitea/index.js'
import { QUICK_RETRIES, seoRepo } from '../support/stack.js'
import { stackPerTest } from '../support/stack-per-test.js'
import { until } from '../support/wait.js'

const TOKEN = 'gitea-read-token'
const SECRET = 'hook-secret'
const ADMIN = '9b1c7e4a2f6d8053a1e9c7b5d3f20846'

const fx = stackPerTest({
  repos: [seoRepo({ 'config.yaml': 'name: seo\n', 'prompts/a.md': 'a\n' })],
  tokens: { gitea: TOKEN, webhookSecret: SECRET, admin: ADMIN },
  server: QUICK_RETRIES,
})
let first = ''

beforeEach(async () => {
  first = await fx.repo.head()
})

async function start(timing: { archiveWaitMs?: number; attempts?: number } = {}) {
  const server = await fx.start(
    {},
    { server: { giteaTiming: { ...QUICK_RETRIES.giteaTiming, ...timing } } },
  )
  await until(() => version(first)?.status === 'ready')
  return server
}

const index = () => fx.server.runtime.index
const version = (commit: string) => index().versions.byCommit('seo', commit)
const hook = (event: string, payload: object) =>
  sendWebhook(`${fx.server.url}/hooks/gitea`, { secret: SECRET, event, payload })
const archivesOf = (commit: string) =>
  fx.gitea.requests.filter((r) => r.route === 'archive' && r.path.includes(commit))

/** A force-push: the branch goes back to `base` plus a new commit, and the old head is pruned. */
async function forcePush(base: string): Promise<string> {
  await fx.repo.git('reset', '-q', '--hard', base)
  const head = await fx.repo.commit({ 'prompts/a.md': 'rewritten\n' }, { message: 'Rewrite' })
  await fx.repo.git('reflog', 'expire', '--expire=now', '--all')
  await fx.repo.git('gc', '-q', '--prune=now')
  return head
}

/** A promise the test settles when it is done changing Gitea's state. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => {}
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { opened, open }
}

/** Pushes a commit and delivers its webhook; resolves once Gitea was asked for its archive. */
async function pushAndWaitForArchiveRequest(): Promise<string> {
  const payload = await push(fx.repo, { 'prompts/a.md': 'b\n' })
  expect((await hook('push', payload)).status).toBe(202)
  await until(() => archivesOf(payload.after).length === 1)
  return payload.after
}

/** The job that worked on `commit` ended `superseded`, pointing at `head`. */
async function expectSuperseded(commit: string, head: string, code: string) {
  await until(() => version(commit)?.status === 'failed')
  expect(version(commit)).toMatchObject({ reasonCode: code })
  expect(version(commit)!.reasonDetail).toContain(`moved on to ${head}`)
  const job = () =>
    index()
      .jobs.list({ state: 'done' })
      .find((j) => (j.outcome as { result?: string } | null)?.result === 'superseded')
  await until(() => job() !== undefined)
  expect(job()!.outcome).toMatchObject({ result: 'superseded', commit, head, code })
  // Never asked again for the commit that is gone.
  expect(archivesOf(commit)).toHaveLength(1)
}

describe('an archive that failed while the branch moved on', () => {
  it("the archive queue's wait runs out (GITEA_ARCHIVE_TIMEOUT): not retried, the new head is fetched", async () => {
    await start({ archiveWaitMs: 2_000 })
    fx.gitea.setArchiveMode({ kind: 'generate', waitMs: 6_000 })
    const stale = await pushAndWaitForArchiveRequest()
    // The head check after the timeout is held until the branch has moved.
    const moved = gate()
    fx.gitea.faults.inject('branch', fault.hold(moved.opened), { times: 1 })
    const head = await forcePush(first)
    moved.open()
    await expectSuperseded(stale, head, 'GITEA_ARCHIVE_TIMEOUT')
    fx.gitea.setArchiveMode({ kind: 'generate', waitMs: 50 })
    await hook('push', await pushPayload(fx.repo, { before: stale, after: head, commits: [head] }))
    await until(() => version(head)?.status === 'ready')
    expect(index().templates.get('seo')!.currentVersionId).toBe(version(head)!.id)
  })

  it('Gitea ≤ 1.24 never answers for the pruned commit: the wait runs out, not retried', async () => {
    await start({ archiveWaitMs: 3_000 })
    fx.gitea.setArchiveMode({ kind: 'legacy-unknown-sha', waitMs: 50 })
    // Held before Gitea looks at the commit, until it is force-pushed away and pruned.
    const pruned = gate()
    fx.gitea.faults.inject('archive', fault.hold(pruned.opened), { times: 1 })
    const stale = await pushAndWaitForArchiveRequest()
    // And the head check after the timeout, should it come first.
    fx.gitea.faults.inject('branch', fault.hold(pruned.opened), { times: 1 })
    const head = await forcePush(first)
    pruned.open()
    await expectSuperseded(stale, head, 'GITEA_ARCHIVE_TIMEOUT')
    await until(() => fx.gitea.counters.archivesHung === 1)
  })

  it('Gitea 1.25 answers 500 for the pruned commit: not retried', async () => {
    await start()
    const pruned = gate()
    fx.gitea.faults.inject('archive', fault.hold(pruned.opened), { times: 1 })
    const stale = await pushAndWaitForArchiveRequest()
    const head = await forcePush(first)
    pruned.open()
    await expectSuperseded(stale, head, 'GITEA_UNAVAILABLE')
    expect(archivesOf(stale).map((r) => r.status)).toEqual([500])
  })

  it('a head that did not move is retried, and a wait that keeps running out is recorded', async () => {
    await start({ archiveWaitMs: 800, attempts: 2 })
    fx.gitea.setArchiveMode({ kind: 'generate', waitMs: 3_000 })
    const stale = await pushAndWaitForArchiveRequest()
    await until(() => version(stale)?.status === 'failed', { timeoutMs: 20_000 })
    expect(version(stale)).toMatchObject({ reasonCode: 'GITEA_ARCHIVE_TIMEOUT' })
    const routes = fx.gitea.requests.map((r) => r.route)
    expect(routes.slice(routes.indexOf('archive'), routes.indexOf('archive') + 3)).toEqual([
      'archive',
      'branch',
      'archive',
    ])
    // The last good bundle keeps serving: ready, with the code and its advice to look at.
    const ready = await fetch(`${fx.server.url}/readyz`)
    expect(ready.status).toBe(200)
    expect(((await ready.json()) as { checks: { templates: unknown } }).checks.templates).toEqual({
      ok: true,
      notReady: [],
      attention: [
        {
          template: 'seo',
          code: 'GITEA_ARCHIVE_TIMEOUT',
          advice: adviceFor('GITEA_ARCHIVE_TIMEOUT'),
        },
      ],
    })
  })
})

describe('a deleted branch', () => {
  it('keeps serving, shows "branch deleted" everywhere, and a push brings it back', async () => {
    await start()
    const served = version(first)!.digest
    await fx.repo.deleteBranch('main')
    const deleted = await hook('delete', deletePayload(fx.repo, { ref: 'main' }))
    expect([deleted.status, JSON.parse(deleted.body)]).toEqual([
      200,
      { status: 'ignored', reason: 'branch deleted; the last good bundle keeps serving' },
    ])
    // A reconcile finds no branch: nothing fails, nothing is queued or fetched.
    fx.gitea.reset()
    const jobsBefore = index().jobs.list().length
    const report = await fx.server.reconciler.runOnce()
    expect(report).toMatchObject({ errors: [], enqueued: [], branchDeleted: ['seo'] })
    expect(index().jobs.list()).toHaveLength(jobsBefore)
    expect(fx.gitea.requests.map((r) => [r.route, r.status])).toEqual([['branch', 404]])
    // A job that runs anyway (an admin's refresh) ends skipped, not failed.
    const refresh = await fetch(`${fx.server.url}/v1/admin/templates/seo/refresh`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: '{}',
    })
    expect(refresh.status).toBe(202)
    await until(() => index().jobs.list().length === jobsBefore + 1)
    await until(() => index().jobs.list()[0]!.state === 'done')
    expect(index().jobs.list()[0]!.outcome).toEqual({ result: 'skipped', reason: 'branch deleted' })

    const ready = await fetch(`${fx.server.url}/readyz`)
    expect(ready.status).toBe(200)
    expect(((await ready.json()) as { checks: { templates: unknown } }).checks.templates).toEqual({
      ok: true,
      notReady: [],
      attention: [{ template: 'seo', code: 'BRANCH_DELETED', advice: adviceFor('BRANCH_DELETED') }],
    })
    const api = await fetch(`${fx.server.url}/v1/admin/templates/seo`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    })
    expect(((await api.json()) as { template: object }).template).toMatchObject({
      health: 'stale',
      digest: served,
      branchDeleted: { at: expect.any(Number) },
      lastError: { code: 'BRANCH_DELETED' },
    })
    const ls = await cli(['ls'], { ASSET_CACHE_DATA_DIR: fx.config.dataDir })
    expect(ls.stdout).toMatch(/stale \(branch deleted\)/)
    expect(ls.stdout).toContain(`seo: BRANCH_DELETED: ${adviceFor('BRANCH_DELETED')}`)

    // Gitea reports the branch created again as a push from the zero id, plus a create event.
    const again = await fx.repo.commit({ 'prompts/a.md': 'again\n' }, { branch: 'main' })
    const payload = await pushPayload(fx.repo, { before: fx.repo.zeroId, after: again })
    expect((await hook('push', payload)).status).toBe(202)
    expect((await hook('create', await createPayload(fx.repo, { ref: 'main' }))).status).toBe(200)
    await until(() => version(again)?.status === 'ready')
    expect(index().branches.deleted('seo')).toBeNull()
    const after = await fetch(`${fx.server.url}/readyz`)
    expect(
      ((await after.json()) as { checks: { templates: { attention: unknown[] } } }).checks.templates
        .attention,
    ).toEqual([])
  })
})
