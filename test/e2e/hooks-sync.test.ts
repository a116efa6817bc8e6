// `asset-cache hooks sync` against the test Gitea's hooks API: creates each hook once, a second run
// changes nothing, a hook at an old URL of ours is updated, hooks of others are never touched, a
// repository without admin rights is reported; then a real `git push` reaches the cache through the
// hook.
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { cli } from '../support/cli.js'
import { git } from '../support/git.js'
import type { GitRepo } from '../support/gitea/index.js'
import { testConfig } from '../support/runtime.js'
import { stackPerTest } from '../support/stack-per-test.js'
import { until } from '../support/wait.js'

const READ = 'gitea-read-token'
const HOOKS = 'gitea-hooks-token'
const SECRET = 'hooks-sync-webhook-secret'

const FILES = { 'config.yaml': 'name: t\n', 'prompts/system.md': 'Be brief.\n' }

const fx = stackPerTest({
  // Only docs is a template of the stack's own server; the CLI gets its manifest from env().
  repos: ['seo', 'docs', 'locked'].map((name) => ({
    name,
    files: FILES,
    template: name === 'docs' ? name : false,
  })),
  tokens: { gitea: READ, webhookSecret: SECRET },
  gitea: { tokenAccess: { [HOOKS]: { scope: 'write', admin: ['acme/seo', 'acme/docs'] } } },
  server: { jobBackoffBaseMs: 20 },
})
let seo: GitRepo
let docs: GitRepo
let locked: GitRepo

beforeEach(() => {
  ;[seo, docs, locked] = fx.stack.repos as [GitRepo, GitRepo, GitRepo]
})

function env(
  publicUrl: string,
  repos: GitRepo[] = [seo, docs],
  extra: Record<string, string> = {},
) {
  const templates = repos.flatMap((r) =>
    r === seo
      ? [
          { name: 'seo', repo: 'ACME/seo', ref: 'main' },
          { name: 'seo-next', repo: 'acme/seo', ref: 'release/1.x' },
        ]
      : [{ name: r.name, repo: r.fullName, ref: 'main' }],
  )
  const config = testConfig(templates)
  return {
    ASSET_CACHE_DATA_DIR: config.dataDir,
    ASSET_CACHE_TEMPLATES: config.templatesFile!,
    GITEA_BASE_URL: fx.gitea.url,
    GITEA_HOOKS_TOKEN: HOOKS,
    ASSET_CACHE_PUBLIC_URL: publicUrl,
    ASSET_CACHE_WEBHOOK_SECRET: SECRET,
    ...extra,
  }
}

const hooksOf = (repo: GitRepo) => fx.gitea.hooks.list(repo.fullName.toLowerCase())

describe('hooks sync', { timeout: 90_000 }, () => {
  it('creates each hook once; a second run changes nothing and says so', async () => {
    const vars = env('https://cache.example.com/ac')
    const first = await cli(['hooks', 'sync'], vars)
    expect(first.stderr).toBe('')
    expect(first.code).toBe(0)
    expect(first.stdout).toMatch(/acme\/seo\s+created\s+hook \d+/i)
    expect(first.stdout).toContain('created 2, updated 0, unchanged 0, refused 0, failed 0')
    expect(hooksOf(seo)).toEqual([
      expect.objectContaining({
        type: 'gitea',
        url: 'https://cache.example.com/ac/hooks/gitea',
        contentType: 'json',
        secret: SECRET,
        events: ['push'],
        branchFilter: '{main,release/1.x}',
        active: true,
      }),
    ])
    expect(hooksOf(docs)).toEqual([expect.objectContaining({ branchFilter: 'main' })])

    const second = await cli(['hooks', 'sync'], vars)
    expect(second.code).toBe(0)
    expect(second.stdout).toContain('nothing to change: 2 repositories have the hook')
    expect(hooksOf(seo)).toHaveLength(1)
    expect(hooksOf(docs)).toHaveLength(1)
    expect(
      fx.gitea.requests.filter((r) => r.method === 'PATCH' || r.method === 'POST'),
    ).toHaveLength(2)
  })

  it('--dry-run says what it would do and changes nothing', async () => {
    const run = await cli(
      ['hooks', 'sync', '--dry-run', '--json'],
      env('https://cache.example.com'),
    )
    expect(run.code).toBe(0)
    const out = JSON.parse(run.stdout) as { dryRun: boolean; repositories: { outcome: string }[] }
    expect(out.dryRun).toBe(true)
    expect(out.repositories.map((r) => r.outcome)).toEqual(['created', 'created'])
    expect(hooksOf(seo)).toEqual([])
  })

  it('updates a hook of ours at an old URL, leaves hooks of others alone, reads every page', async () => {
    // 55 hooks of others: ours is on the second page of 50.
    for (let i = 0; i < 55; i++) {
      fx.gitea.hooks.add({
        repoKey: 'acme/seo',
        type: 'gitea',
        url: `https://ci-${i}.example.com/hooks/gitea`,
        contentType: 'json',
        secret: 'theirs',
        events: ['push'],
        branchFilter: '*',
        active: true,
      })
    }
    const old = fx.gitea.hooks.add({
      repoKey: 'acme/seo',
      type: 'gitea',
      url: 'http://cache.example.com:8080/hooks/gitea',
      contentType: 'form',
      secret: 'old-secret',
      events: ['push', 'create'],
      branchFilter: 'main',
      active: false,
    })
    const run = await cli(['hooks', 'sync'], env('https://cache.example.com', [seo]))
    expect(run.code).toBe(0)
    expect(run.stdout).toContain(
      `hook ${old.id}: url, content_type, events, branch_filter, active (was http://cache.example.com:8080/hooks/gitea)`,
    )
    expect(run.stdout).toMatch(/ACME\/seo\s+updated\s+hook/)
    expect(hooksOf(seo)).toHaveLength(56)
    expect(fx.gitea.hooks.get('acme/seo', old.id)).toMatchObject({
      url: 'https://cache.example.com/hooks/gitea',
      contentType: 'json',
      secret: SECRET,
      events: ['push'],
      branchFilter: '{main,release/1.x}',
      active: true,
    })
    expect(hooksOf(seo).filter((h) => h.secret === 'theirs')).toHaveLength(55)
    const again = await cli(['hooks', 'sync'], env('https://cache.example.com', [seo]))
    expect(again.stdout).toContain('nothing to change')
  })

  it('reports a repository where the token lacks admin rights (403) and does the others', async () => {
    const run = await cli(['hooks', 'sync'], env('https://cache.example.com', [seo, locked]))
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/acme\/locked\s+refused\s+HTTP 403: .*admin/)
    expect(run.stdout).toContain('created 1, updated 0, unchanged 0, refused 1, failed 0')
    expect(hooksOf(seo)).toHaveLength(1)
    expect(hooksOf(locked)).toEqual([])
  })

  it('needs its settings, named (exit 2)', async () => {
    const vars = env('https://cache.example.com')
    const { GITEA_HOOKS_TOKEN: _t, ASSET_CACHE_PUBLIC_URL: _u, ...rest } = vars
    const run = await cli(['hooks', 'sync'], rest)
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('GITEA_HOOKS_TOKEN: not set')
    expect(run.stderr).toContain('ASSET_CACHE_PUBLIC_URL: not set')
  })

  it('after hooks sync, a push to Gitea reaches the cache and the new version is served', async () => {
    const running = await fx.start()
    const current = async () =>
      ((await (await fetch(`${running.url}/v1/templates/docs`)).json()) as { commit?: string })
        .commit
    await until(async () => (await current()) === (await docs.head()))

    const run = await cli(['hooks', 'sync'], env(running.url, [docs]))
    expect(run.code).toBe(0)
    // A real git push over HTTP, as a template author does it.
    const clone = join(await mkdtemp(join(tmpdir(), 'push-')), 'docs')
    const remote = new URL(`${fx.gitea.url}/acme/docs.git`)
    remote.username = 'author'
    remote.password = HOOKS
    const author = {
      GIT_AUTHOR_NAME: 'Author',
      GIT_AUTHOR_EMAIL: 'author@example.com',
      GIT_COMMITTER_NAME: 'Author',
      GIT_COMMITTER_EMAIL: 'author@example.com',
    }
    await git(tmpdir(), ['clone', '-q', remote.href, clone])
    await writeFile(join(clone, 'prompts/system.md'), 'Be briefer.\n')
    await git(clone, ['commit', '-q', '-am', 'Briefer'], { env: author })
    await git(clone, ['push', '-q', 'origin', 'main'])
    const pushed = (await git(clone, ['rev-parse', 'HEAD'])).trim()
    expect(await docs.head()).toBe(pushed)
    await fx.gitea.hooks.settled()
    const delivery = fx.gitea.hooks.deliveries.at(-1)!
    expect(delivery.delivery).toMatchObject({ status: 202 })
    await until(async () => (await current()) === pushed)
    const manifest = await fetch(`${running.url}/v1/templates/docs`)
    expect(((await manifest.json()) as { commit: string }).commit).toBe(pushed)
  })
})
