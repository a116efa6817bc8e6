// /readyz: each check for real — a template with no ready version, fetching unconfigured or off
// on purpose, the DB write lock held by another connection, the store's tmp dir unusable.

import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import type { Runtime } from '../../src/runtime.js'
import { TMP_DIR } from '../../src/store/paths.js'
import { runtimeApp } from '../support/app.js'
import { testRuntime } from '../support/runtime.js'
import { ingestTree } from './read-fixture.js'

const GITEA = { GITEA_BASE_URL: 'http://127.0.0.1:9', GITEA_TOKEN: 'readyz-token' }
const TEMPLATES = [
  { name: 'seo', repo: 'acme/agent-template-seo' },
  { name: 'docs', repo: 'acme/docs' },
]

interface Readiness {
  status: 'ready' | 'not_ready'
  excluded?: string[]
  checks: {
    database: { ok: boolean; code?: string }
    store: { ok: boolean; code?: string }
    fetching: { ok: boolean; configured: boolean; reason?: string }
    templates: {
      ok: boolean
      notReady: string[]
      attention: { template: string; code: string; advice: string }[]
    }
  }
}

let rt: Runtime | null = null
afterEach(() => {
  rt?.close()
  rt = null
})

async function setup(env: Record<string, string> = GITEA, ready = ['seo', 'docs']) {
  rt = await testRuntime(TEMPLATES, env)
  for (const name of ready) {
    await ingestTree(rt, name, { 'config.yaml': `name: ${name}\n` })
  }
  const app = runtimeApp(rt)
  const probe = async (query = '') => {
    const res = await app.request(`/readyz${query}`)
    return { status: res.status, body: (await res.json()) as Readiness }
  }
  return { rt, app, probe }
}

describe('GET /readyz', () => {
  it('is ready when the DB and store take writes, Gitea is configured and every template is ready', async () => {
    const { probe } = await setup()
    const { status, body } = await probe()
    expect(status).toBe(200)
    expect(body).toEqual({
      status: 'ready',
      checks: {
        database: expect.objectContaining({ ok: true }),
        store: { ok: true },
        fetching: { ok: true, configured: true },
        templates: { ok: true, notReady: [], attention: [] },
        startup: { ok: true },
      },
    })
  })

  it('names the templates that have no ready version', async () => {
    const { probe } = await setup(GITEA, ['seo'])
    const { status, body } = await probe()
    expect(status).toBe(503)
    expect(body.status).toBe('not_ready')
    expect(body.checks.templates).toEqual({ ok: false, notReady: ['docs'], attention: [] })
    expect(body.checks.database.ok).toBe(true)
  })

  it('leaves templates and fetching out of the verdict when asked, still reporting them', async () => {
    const { probe } = await setup({ GITEA_BASE_URL: 'http://127.0.0.1:9' }, ['seo'])
    expect((await probe()).status).toBe(503)
    expect((await probe('?exclude=templates')).status).toBe(503) // fetching still counts
    const { status, body } = await probe('?exclude=templates,fetching')
    expect(status).toBe(200)
    expect(body.status).toBe('ready')
    expect(body.excluded).toEqual(['templates', 'fetching'])
    expect(body.checks.templates).toEqual({ ok: false, notReady: ['docs'], attention: [] })
    expect(body.checks.fetching.ok).toBe(false)
  })

  it('stays ready for a deleted branch and a failing Gitea, naming each with its advice', async () => {
    const { rt, probe } = await setup()
    rt.index.branches.markDeleted('seo', 'main', 'delivery-1', Date.now())
    rt.index.versions.record(
      {
        template: 'docs',
        commit: 'd'.repeat(64),
        status: 'failed',
        reasonCode: 'GITEA_TOKEN_REJECTED',
        reasonDetail: 'archive download: 401: token rejected — regenerate GITEA_TOKEN',
        source: 'reconcile',
      },
      Date.now(),
    )
    const { status, body } = await probe()
    expect(status).toBe(200)
    expect(body.checks.templates).toEqual({
      ok: true,
      notReady: [],
      attention: [
        {
          template: 'docs',
          code: 'GITEA_TOKEN_REJECTED',
          advice: expect.stringMatching(/regenerate/),
        },
        { template: 'seo', code: 'BRANCH_DELETED', advice: expect.stringMatching(/keeps serving/) },
      ],
    })
    // No detail reaches the unauthenticated probe.
    expect(JSON.stringify(body)).not.toMatch(/401/)
  })

  it('does not count a deleted branch as behind its head (asset_cache_reconcile_lag_seconds)', async () => {
    const { rt } = await setup()
    const later = Date.now() + 60_000
    expect(rt.index.status.reconcileLagSeconds(later)).toBe(0)
    rt.index.branches.markDeleted('seo', 'main', null, Date.now())
    expect(rt.index.status.reconcileLagSeconds(later)).toBe(0)
    rt.index.versions.record(
      {
        template: 'docs',
        commit: 'f'.repeat(40),
        status: 'failed',
        reasonCode: 'GITEA_UNAVAILABLE',
        source: 'reconcile',
      },
      Date.now(),
    )
    expect(rt.index.status.reconcileLagSeconds(later)).toBeGreaterThan(0)
  })

  it('never leaves the database or the store out, and refuses a check it does not know', async () => {
    const { probe } = await setup()
    for (const query of [
      '?exclude=database',
      '?exclude=store',
      '?exclude=templates,nope',
      '?exclude=',
    ]) {
      const res = await probe(query)
      expect(res.status, query).toBe(400)
      expect((res.body as unknown as { error: { code: string } }).error.code).toBe(
        'INVALID_PAYLOAD',
      )
    }
  })

  it('is not ready when Gitea is not configured, and says which variables are missing', async () => {
    const { probe } = await setup({ GITEA_BASE_URL: 'http://127.0.0.1:9' })
    const { status, body } = await probe()
    expect(status).toBe(503)
    expect(body.checks.fetching).toEqual({
      ok: false,
      configured: false,
      reason: expect.stringMatching(/GITEA_TOKEN/),
    })
    expect(body.checks.fetching.reason).not.toMatch(/GITEA_BASE_URL/)
  })

  it('counts fetching as ok when ASSET_CACHE_FETCH=off, even with Gitea variables set', async () => {
    const { probe, rt } = await setup({ ...GITEA, ASSET_CACHE_FETCH: 'off' })
    expect(rt.config.gitea).toBeNull()
    const { status, body } = await probe()
    expect(status).toBe(200)
    expect(body.checks.fetching).toEqual({
      ok: true,
      configured: false,
      reason: expect.stringMatching(/ASSET_CACHE_FETCH=off/),
    })
  })

  it('answers 503 promptly when another connection holds the write lock', async () => {
    const { probe, rt } = await setup()
    const other = new Database(join(rt.config.dataDir, 'index.db'))
    other.pragma('busy_timeout = 50')
    other.exec('BEGIN IMMEDIATE')
    try {
      const started = performance.now()
      const { status, body } = await probe()
      const ms = performance.now() - started
      expect(status).toBe(503)
      expect(body.checks.database).toEqual({ ok: false, code: 'SQLITE_BUSY' })
      // The index's own busy_timeout is 5 s; the probe must not wait for it.
      expect(ms).toBeLessThan(2_000)
      expect(rt.index.db.pragma('busy_timeout', { simple: true })).toBe(5000)
    } finally {
      other.exec('ROLLBACK')
      other.close()
    }
    expect((await probe()).status).toBe(200)
  })

  it('answers 503 when the store cannot create files', async () => {
    const { probe, rt } = await setup()
    // chmod does not stop root: replace tmp/ by a plain file, so creating tmp/<name> fails.
    const tmp = join(rt.store.dir, TMP_DIR)
    rmSync(tmp, { recursive: true, force: true })
    writeFileSync(tmp, 'not a directory\n')
    const { status, body } = await probe()
    expect(status).toBe(503)
    expect(body.checks.store).toEqual({ ok: false, code: 'ENOTDIR' })
    expect(body.checks.database.ok).toBe(true)
  })

  it('leaves /healthz answering 200 whatever readiness says', async () => {
    const { app } = await setup({}, [])
    expect((await app.request('/readyz')).status).toBe(503)
    expect((await app.request('/healthz')).status).toBe(200)
  })
})
