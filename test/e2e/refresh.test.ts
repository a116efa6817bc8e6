// End to end over real HTTP: fake Gitea (real git, git archive) → webhook → jobs → ready.

import { Writable } from 'node:stream'
import { beforeEach, describe, expect, it } from 'vitest'
import { createLogger, type Logger, silentLogger } from '../../src/log.js'
import {
  branchFilterMatches,
  createPayload,
  deletePayload,
  fault,
  type GitRepo,
  createRepo as makeRepo,
  push,
  pushPayload,
  sendWebhook,
  testDeliveryPayload,
} from '../support/gitea/index.js'
import { QUICK_RETRIES, seoRepo, TEMPLATE_FILES } from '../support/stack.js'
import { stackPerTest } from '../support/stack-per-test.js'
import { until } from '../support/wait.js'

const TOKEN = 'gitea-read-token'
const SECRET = 'hook-secret'

const fx = stackPerTest({
  repos: [seoRepo(TEMPLATE_FILES, 'Agent-Template-SEO')],
  tokens: { gitea: TOKEN, webhookSecret: SECRET },
  server: {
    logger: process.env.E2E_LOG ? createLogger('debug') : silentLogger,
    ...QUICK_RETRIES,
    giteaTiming: {
      ...QUICK_RETRIES.giteaTiming,
      bodyTimeoutMs: 1_000,
      headersTimeoutMs: 2_000,
      archiveWaitMs: 2_000,
    },
  },
})
/** The tracked repository; a test may put another in its place before start(). */
let repo: GitRepo
beforeEach(() => {
  repo = fx.repo
})

function start(env: Record<string, string> = {}, logger?: Logger) {
  const templates = [{ name: 'seo', repo: repo.fullName }]
  return fx.start(env, { templates, ...(logger ? { server: { logger } } : {}) })
}

const index = () => fx.server.runtime.index
const currentOf = (name: string) => {
  const t = index().templates.get(name)
  return t?.currentVersionId ? index().versions.get(t.currentVersionId) : null
}
const hook = (payload: object, opts: { contentType?: 'json' | 'form'; deliveryId?: string } = {}) =>
  sendWebhook(`${fx.server.url}/hooks/gitea`, { secret: SECRET, event: 'push', payload, ...opts })

describe('push → webhook → ready', () => {
  it('makes the pushed commit current, with provenance', async () => {
    const initial = await repo.head()
    await start()
    // The start-up reconcile brings the first commit in.
    await until(() => currentOf('seo')?.commit === initial)
    const payload = await push(repo, { 'prompts/system.md': 'You are very helpful.\n' })
    const res = await hook(payload, { deliveryId: 'delivery-1' })
    expect(res.status).toBe(202)
    await until(() => currentOf('seo')?.commit === payload.after)
    const v = currentOf('seo')!
    expect(v).toMatchObject({
      status: 'ready',
      deliveryId: 'delivery-1',
      source: 'webhook',
      fileCount: 3,
    })
    expect(v.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(
      index()
        .bundles.files(v.digest!)
        .map((f) => [f.path, f.mode]),
    ).toEqual([
      ['agent-skills/search/run.sh', 0o755],
      ['config.yaml', 0o644],
      ['prompts/system.md', 0o644],
    ])
    expect(await fx.server.runtime.store.has(v.digest!)).toEqual({ size: expect.any(Number) })
  })

  it('accepts a form-encoded delivery', async () => {
    await start()
    await until(() => currentOf('seo') !== null)
    const payload = await push(repo, { 'config.yaml': 'name: seo\nmodel: large\n' })
    expect((await hook(payload, { contentType: 'form' })).status).toBe(202)
    await until(() => currentOf('seo')?.commit === payload.after)
  })

  it('reuses the digest when a push changes only skipped files', async () => {
    await start()
    await until(() => currentOf('seo') !== null)
    const before = currentOf('seo')!
    const payload = await push(repo, { Dockerfile: 'FROM busybox\n' })
    await hook(payload)
    await until(() => currentOf('seo')?.commit === payload.after)
    expect(currentOf('seo')!.digest).toBe(before.digest)
    expect(index().bundles.all()).toHaveLength(1)
  })

  it('coalesces 1 000 webhooks for one template into at most 2 archive downloads', async () => {
    // Server-side handling time of each delivery, from the request log lines.
    const served: number[] = []
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n')) {
          if (!line.includes('"route":"/hooks/gitea"')) continue
          served.push((JSON.parse(line) as { ms: number }).ms)
        }
        done()
      },
    })
    await start({}, createLogger('info', sink))
    await until(() => currentOf('seo') !== null)
    fx.gitea.reset()
    const payload = await push(repo, { 'prompts/extra.md': 'more\n' })
    const statuses = new Map<number, number>()
    const latencies: number[] = []
    for (let batch = 0; batch < 10; batch++) {
      const results = await Promise.all(
        Array.from({ length: 100 }, async () => {
          const t0 = performance.now()
          const r = await hook(payload)
          latencies.push(performance.now() - t0)
          return r.status
        }),
      )
      for (const s of results) statuses.set(s, (statuses.get(s) ?? 0) + 1)
    }
    const pct = (xs: number[], p: number) => {
      const sorted = [...xs].sort((a, b) => a - b)
      return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!.toFixed(2)
    }
    await until(() => served.length >= 1000)
    console.log(
      `webhook burst: 1000 deliveries, 100 in flight; handler p50 ${pct(served, 0.5)} ms, p99 ${pct(served, 0.99)} ms; ` +
        `client round trip p50 ${pct(latencies, 0.5)} ms, p99 ${pct(latencies, 0.99)} ms (sender in the same process)`,
    )
    expect([...statuses.keys()].every((s) => s === 202 || s === 200)).toBe(true)
    await until(() => currentOf('seo')?.commit === payload.after)
    await until(() => index().jobs.depth().queued + index().jobs.depth().running === 0)
    expect(fx.gitea.counters.archiveDownloads).toBeLessThanOrEqual(2)
    console.log(`webhook burst: ${fx.gitea.counters.archiveDownloads} archive download(s)`)
    expect(index().deliveries.list(2000)).toHaveLength(1000)
  })

  it('ends at the branch head when deliveries arrive newest first', async () => {
    await start()
    await until(() => currentOf('seo') !== null)
    const first = await push(repo, { 'prompts/a.md': 'a\n' })
    const second = await push(repo, { 'prompts/b.md': 'b\n' })
    await hook(second)
    await hook(first)
    await until(() => index().jobs.depth().queued + index().jobs.depth().running === 0)
    expect(currentOf('seo')!.commit).toBe(second.after)
  })

  it('picks up a push whose webhook never came, at the next reconcile', async () => {
    await start()
    await until(() => currentOf('seo') !== null)
    const lost = await push(repo, { 'prompts/lost.md': 'never announced\n' })
    const report = await fx.server.reconciler.runOnce()
    expect(report.enqueued).toEqual(['seo'])
    await until(() => currentOf('seo')?.commit === lost.after)
  })
})

describe("Gitea's own deliveries over HTTP", () => {
  it('answers each kind as docs/api.md says and queues only real pushes', async () => {
    await start()
    await until(() => currentOf('seo') !== null)
    await until(() => index().jobs.depth().queued + index().jobs.depth().running === 0)
    const jobsBefore = index().jobs.list().length
    const post = (event: string, payload: object, secret = SECRET) =>
      sendWebhook(`${fx.server.url}/hooks/gitea`, { secret, event, payload })

    const wrongSecret = await post('push', await pushPayload(repo), 'not-the-secret')
    expect(wrongSecret.status).toBe(401)
    const noSecret = await post('push', await pushPayload(repo), '')
    expect(noSecret.status).toBe(401)
    const test = await post('push', await testDeliveryPayload(repo))
    expect([test.status, JSON.parse(test.body)]).toEqual([200, { status: 'ok' }])
    const oldTest = await post('push', await testDeliveryPayload(repo, { commit: 'head' }))
    expect(oldTest.status).toBe(200)
    await repo.tag('v1')
    const tag = await post('push', await pushPayload(repo, { ref: 'refs/tags/v1' }))
    expect(JSON.parse(tag.body)).toEqual({ status: 'ignored', reason: 'tag push' })
    const created = await post('create', await createPayload(repo, { ref: 'v1', refType: 'tag' }))
    expect(JSON.parse(created.body)).toMatchObject({ status: 'ignored' })
    const deleted = await post('delete', deletePayload(repo, { ref: 'feature' }))
    expect(JSON.parse(deleted.body)).toMatchObject({ status: 'ignored' })
    const other = fx.gitea.addRepo(
      await makeRepo({ owner: 'acme', name: 'unrelated', files: { 'config.yaml': 'a: 1\n' } }),
    )
    const untracked = await post('push', await push(other, { 'config.yaml': 'a: 2\n' }))
    expect(JSON.parse(untracked.body)).toEqual({
      status: 'ignored',
      reason: 'untracked repository',
    })

    expect(index().jobs.list().length).toBe(jobsBefore)
    const outcomes = index()
      .deliveries.list()
      .map((d) => d.outcome)
    expect(outcomes).toEqual(['ignored', 'ignored', 'ignored', 'ignored', 'ok', 'ok'])
  })
})

describe("Gitea's Test Delivery through a hook's branch filter", () => {
  it('is sent only when the filter admits the default branch, and acknowledged for both formats', async () => {
    const sha256 = fx.gitea.addRepo(
      await makeRepo({
        owner: 'acme',
        name: 'tpl256',
        objectFormat: 'sha256',
        files: TEMPLATE_FILES,
      }),
    )
    await start()
    await until(() => currentOf('seo') !== null)
    await until(() => index().jobs.depth().queued + index().jobs.depth().running === 0)
    const jobsBefore = index().jobs.list().length
    const url = `${fx.server.url}/hooks/gitea`
    // Gitea's Test Delivery is sent only when the hook's branch filter admits the default branch.
    const testDelivery = async (r: GitRepo, branchFilter: string) =>
      branchFilterMatches(branchFilter, r.defaultBranch)
        ? sendWebhook(url, { secret: SECRET, event: 'push', payload: await testDeliveryPayload(r) })
        : null
    for (const r of [repo, sha256]) {
      expect((await testDeliveryPayload(r)).after).toBe(r.zeroId)
      const sent = await testDelivery(r, '{main,release/*}')
      expect([sent?.status, JSON.parse(sent?.body ?? 'null')]).toEqual([200, { status: 'ok' }])
      expect(await testDelivery(r, 'release/*')).toBeNull()
    }
    expect(index().jobs.list()).toHaveLength(jobsBefore)
    expect(
      index()
        .deliveries.list()
        .slice(0, 2)
        .map((d) => [d.outcome, d.reason, d.after?.length]),
    ).toEqual([
      ['ok', 'test delivery', 64],
      ['ok', 'test delivery', 40],
    ])
  })
})

describe('object formats', () => {
  it('ingests a SHA-256 repository (64-hex commit ids)', async () => {
    repo = fx.gitea.addRepo(
      await makeRepo({
        owner: 'acme',
        name: 'sha256-template',
        objectFormat: 'sha256',
        files: TEMPLATE_FILES,
      }),
    )
    const head = await repo.head()
    expect(head).toMatch(/^[0-9a-f]{64}$/)
    await start()
    await until(() => currentOf('seo')?.commit === head)
  })
})

describe('Gitea faults', () => {
  it('retries 500s and ends ready', async () => {
    fx.gitea.faults.inject('archive', fault.status500(), { times: 2 })
    await start()
    await until(() => currentOf('seo')?.status === 'ready')
    expect(fx.gitea.requests.filter((r) => r.route === 'archive').map((r) => r.status)).toEqual([
      500, 500, 200,
    ])
  })

  it('honours Retry-After on a 429', async () => {
    fx.gitea.faults.inject('archive', fault.status429(1), { times: 1 })
    await start()
    await until(() => currentOf('seo')?.status === 'ready')
    const archive = fx.gitea.requests.filter((r) => r.route === 'archive')
    expect(archive).toHaveLength(2)
    expect(archive[1]!.at - archive[0]!.at).toBeGreaterThanOrEqual(950)
  })

  it('fails a 401 (token revoked) at once, without a retry storm', async () => {
    await start()
    await until(() => currentOf('seo') !== null)
    fx.gitea.tokens.delete(TOKEN)
    fx.gitea.reset()
    const payload = await push(repo, { 'prompts/new.md': 'new\n' })
    await hook(payload)
    await until(() => index().jobs.list({ state: 'failed' }).length === 1)
    const job = index().jobs.list({ state: 'failed' })[0]!
    expect(job.lastErrorCode).toBe('GITEA_TOKEN_REJECTED')
    expect(job.attempts).toBe(1)
    expect(fx.gitea.counters.requests).toBe(1)
    expect(currentOf('seo')!.commit).not.toBe(payload.after)
  })

  it('records a truncated 200 as failed and keeps the previous version current', async () => {
    await start()
    await until(() => currentOf('seo') !== null)
    const good = currentOf('seo')!
    fx.gitea.faults.inject('archive', fault.truncateClean(200), { times: 100 })
    const payload = await push(repo, { 'prompts/new.md': 'new\n' })
    await hook(payload)
    await until(() => index().versions.byCommit('seo', payload.after)?.status === 'failed')
    expect(index().versions.byCommit('seo', payload.after)?.reasonCode).toBe('GITEA_UNAVAILABLE')
    expect(currentOf('seo')!.id).toBe(good.id)
    fx.gitea.faults.clear()
    await fx.server.reconciler.runOnce()
    await until(() => currentOf('seo')?.commit === payload.after)
  })

  it('rejects an archive of another commit with COMMIT_MISMATCH', async () => {
    await start()
    await until(() => currentOf('seo') !== null)
    const good = currentOf('seo')!
    fx.gitea.faults.inject('archive', fault.wrongCommit(), { times: 100 })
    const payload = await push(repo, { 'prompts/new.md': 'new\n' })
    await hook(payload)
    await until(() => index().versions.byCommit('seo', payload.after)?.status === 'rejected')
    expect(index().versions.byCommit('seo', payload.after)?.reasonCode).toBe('COMMIT_MISMATCH')
    expect(currentOf('seo')!.id).toBe(good.id)
  })

  it('records the offending entry of a rejection on the version and in the job outcome', async () => {
    await start()
    await until(() => currentOf('seo') !== null)
    const good = currentOf('seo')!
    const payload = await push(repo, { 'prompts/link.md': { symlink: '../Dockerfile' } })
    await hook(payload)
    await until(() => index().versions.byCommit('seo', payload.after)?.status === 'rejected')
    expect(index().versions.byCommit('seo', payload.after)).toMatchObject({
      reasonCode: 'LINK_IN_ALLOWED_PATH',
      reasonEntry: 'prompts/link.md',
    })
    const rejectedJob = () =>
      index()
        .jobs.list({ state: 'done' })
        .find((j) => (j.outcome as { result?: string } | null)?.result === 'rejected')
    await until(() => rejectedJob() !== undefined)
    expect(rejectedJob()!.outcome).toMatchObject({
      code: 'LINK_IN_ALLOWED_PATH',
      entry: 'prompts/link.md',
    })
    expect(currentOf('seo')!.id).toBe(good.id)
  })

  it('retries an archive request that hangs past the archive wait, after checking the head', async () => {
    fx.gitea.faults.inject('archive', fault.hang(), { times: 1 })
    await start()
    await until(() => currentOf('seo')?.status === 'ready')
    expect(fx.gitea.requests.filter((r) => r.route === 'archive')).toHaveLength(2)
    // The archive request hangs; the branch is asked again (still the head); the archive again.
    const routes = fx.gitea.requests.map((r) => r.route)
    expect(routes.slice(routes.indexOf('archive'))).toEqual(['archive', 'branch', 'archive'])
  })

  it('retries an archive whose body stalls past the idle timeout', async () => {
    fx.gitea.faults.inject('archive', fault.slowFirstByte(5_000), { times: 1 })
    await start()
    await until(() => currentOf('seo')?.status === 'ready')
    expect(fx.gitea.requests.filter((r) => r.route === 'archive')).toHaveLength(2)
  })

  it('keeps serving with fetching off, and says why', async () => {
    await start({ GITEA_TOKEN: '' })
    expect(fx.server.gitea).toBeNull()
    expect(fx.config.fetchOff).toMatch(/GITEA_TOKEN/)
    const report = await fx.server.reconciler.runOnce()
    expect(report.checked).toBe(0)
    expect(fx.gitea.counters.requests).toBe(0)
  })
})
