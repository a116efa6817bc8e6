// Secrets never reach the logs: a full run at `trace` with distinctive random secrets, bad
// signatures, wrong tokens and a Gitea fault, then the captured log is searched for each of them.
import { randomBytes } from 'node:crypto'
import { Writable } from 'node:stream'
import { request } from 'undici'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { RunningServer } from '../../src/http/server.js'
import { createLogger } from '../../src/log.js'
import { type FakeGitea, fault, type GitRepo, push, sendWebhook } from '../support/gitea/index.js'
import { type Stack, seoRepo, startStack } from '../support/stack.js'
import { until } from '../support/wait.js'

const secret = (label: string) => `${label}-${randomBytes(12).toString('hex')}`
const GITEA_TOKEN = secret('gitea')
const WEBHOOK_SECRET = secret('hook')
const READ_TOKEN = secret('read')
const SCOPED_READ_TOKEN = secret('scoped')
const ADMIN_TOKEN = secret('admin')
const WRONG_TOKEN = secret('wrong')
const STATUS_TOKEN = secret('status')

let stack: Stack
let gitea: FakeGitea
let repo: GitRepo
let server: RunningServer | null = null
let lines: string[]

beforeEach(async () => {
  stack = await startStack({
    repos: [seoRepo({ 'config.yaml': 'name: seo\n', 'prompts/a.md': 'hello\n' })],
    tokens: {
      gitea: GITEA_TOKEN,
      webhookSecret: WEBHOOK_SECRET,
      read: `${READ_TOKEN},${SCOPED_READ_TOKEN}@seo`,
      admin: ADMIN_TOKEN,
    },
    env: { ASSET_CACHE_LOG_LEVEL: 'trace', GITEA_STATUS_TOKEN: STATUS_TOKEN },
    gitea: { tokenAccess: { [STATUS_TOKEN]: { scope: 'write' } } },
    serve: false,
  })
  ;({ gitea, repo } = stack)
  lines = []
})

afterEach(async () => {
  await stack.stop()
  server = null
})

const records = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>)

describe('logs', () => {
  it('never contain a secret, a signature or an Authorization value', async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n')) if (line) lines.push(line)
        done()
      },
    })
    server = (
      await stack.serve({
        server: {
          logger: createLogger(stack.env.ASSET_CACHE_LOG_LEVEL, sink),
          giteaTiming: { backoffBaseMs: 10, backoffMaxMs: 50, attempts: 2 },
          jobBackoffBaseMs: 10,
        },
      })
    ).server!
    const { url, runtime } = server
    const index = runtime.index
    const idle = () => index.jobs.depth().queued + index.jobs.depth().running === 0
    await until(() => index.templates.get('seo')?.currentVersionId !== null)
    await until(idle)

    const signatures: string[] = []
    const hook = async (payload: object, key: string) => {
      const res = await sendWebhook(`${url}/hooks/gitea`, { secret: key, event: 'push', payload })
      for (const [name, value] of Object.entries(res.sent.headers)) {
        if (/signature/i.test(name) && value.replace(/^sha(1|256)=/, '')) signatures.push(value)
      }
      return res.status
    }

    // A push announced with a good and a bad signature.
    const good = await push(repo, { 'prompts/a.md': 'hello again\n' })
    expect(await hook(good, WEBHOOK_SECRET)).toBe(202)
    expect(await hook(good, WRONG_TOKEN)).toBe(401)
    await until(() => index.versions.byCommit('seo', good.after)?.status === 'ready')
    await until(idle)

    // An admin refresh, right and wrong admin tokens.
    const admin = (token: string, method = 'GET', path = '/v1/admin/templates') =>
      request(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
        },
        ...(method === 'POST' ? { body: '{}' } : {}),
      }).then(async (r) => {
        await r.body.dump()
        return r.statusCode
      })
    expect(await admin(ADMIN_TOKEN)).toBe(200)
    expect(await admin(WRONG_TOKEN)).toBe(401)
    expect(await admin(ADMIN_TOKEN, 'POST', '/v1/admin/templates/seo/refresh')).toBe(202)
    await until(idle)

    // Reads with right, scoped and wrong tokens, and a token in the query string.
    const read = async (token: string | null, path: string) => {
      const res = await request(`${url}${path}`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      })
      await res.body.dump()
      return res.statusCode
    }
    const digest = index.versions.byCommit('seo', good.after)!.digest!
    expect(await read(READ_TOKEN, '/v1/templates/seo')).toBe(200)
    expect(await read(SCOPED_READ_TOKEN, `/v1/bundles/${digest}`)).toBe(200)
    expect(await read(WRONG_TOKEN, '/v1/templates/seo')).toBe(401)
    expect(await read(null, `/v1/templates/seo?token=${READ_TOKEN}`)).toBe(401)

    // A Gitea fault that ends in a failed job.
    gitea.faults.inject('archive', fault.status500())
    const broken = await push(repo, { 'prompts/b.md': 'never stored\n' })
    expect(await hook(broken, WEBHOOK_SECRET)).toBe(202)
    await until(() => index.jobs.list({ state: 'failed' }).length > 0)
    // Commit statuses were posted with their own token.
    await until(() => gitea.statuses(repo.fullName, good.after).some((s) => s.state === 'success'))
    await server.close(1_000)
    server = null

    const log = lines.join('\n')
    const forbidden = [
      GITEA_TOKEN,
      WEBHOOK_SECRET,
      READ_TOKEN,
      SCOPED_READ_TOKEN,
      ADMIN_TOKEN,
      WRONG_TOKEN,
      STATUS_TOKEN,
      `token ${GITEA_TOKEN}`,
      `token ${STATUS_TOKEN}`,
      `Bearer ${READ_TOKEN}`,
      ...signatures.map((s) => s.replace(/^sha(1|256)=/, '')),
    ]
    expect(signatures.length).toBeGreaterThanOrEqual(4)
    for (const value of forbidden) expect(log.includes(value), value.slice(0, 12)).toBe(false)
    expect(log).not.toMatch(/authorization/i)
    expect(log).not.toMatch(/signature":/i)

    // The lines that must be there.
    const all = records()
    const requests = all.filter((r) => r.msg === 'request')
    expect(requests.length).toBeGreaterThanOrEqual(10)
    for (const r of requests) {
      expect(r).toMatchObject({
        level: 'info',
        requestId: expect.any(String),
        route: expect.any(String),
        method: expect.any(String),
        status: expect.any(Number),
        ms: expect.any(Number),
      })
      expect(String(r.path)).not.toContain('?')
    }
    expect(requests.map((r) => r.route)).toEqual(
      expect.arrayContaining(['/hooks/gitea', '/v1/templates/:name', '/v1/bundles/:digest']),
    )

    const started = all.filter((r) => r.msg === 'job started')
    expect(started[0]).toMatchObject({
      template: 'seo',
      jobId: expect.any(Number),
      trigger: 'reconcile',
    })
    expect(started.map((r) => r.trigger)).toEqual(
      expect.arrayContaining(['reconcile', 'webhook', 'admin']),
    )
    const ready = all.find((r) => r.msg === 'job finished' && r.commit === good.after)
    expect(ready).toMatchObject({
      template: 'seo',
      jobId: expect.any(Number),
      outcome: 'ready',
      digest,
      headMs: expect.any(Number),
      fetchMs: expect.any(Number),
      validateMs: expect.any(Number),
      storeMs: expect.any(Number),
      totalMs: expect.any(Number),
    })
    expect(all.find((r) => r.msg === 'job finished' && r.outcome === 'unchanged')).toMatchObject({
      template: 'seo',
      commit: good.after,
      headMs: expect.any(Number),
    })
    expect(all.find((r) => r.msg === 'job failed')).toMatchObject({
      template: 'seo',
      code: 'GITEA_UNAVAILABLE',
    })
  })
})
