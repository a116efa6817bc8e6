// End to end: each refusal Gitea answers an API call with is recorded under its own code, with
// advice an operator can act on, and shown by `ls` and the admin API; nothing is retried.
import { describe, expect, it } from 'vitest'
import { adviceFor } from '../../src/admin/advice.js'
import { cli } from '../support/cli.js'
import { type Fault, fault } from '../support/gitea/index.js'
import { BRIEF_FILES, QUICK_RETRIES, seoRepo } from '../support/stack.js'
import { stackPerTest } from '../support/stack-per-test.js'
import { until } from '../support/wait.js'

const TOKEN = 'gitea-read-token'
const ADMIN = 'f3a9c1d27b4e8a6059c2d1e7b3f48a9d'

const fx = stackPerTest({
  repos: [seoRepo(BRIEF_FILES)],
  tokens: { gitea: TOKEN, admin: ADMIN },
  server: QUICK_RETRIES,
})

const CASES: {
  name: string
  fault: Fault | null
  env?: Record<string, string>
  code: string
  advice: RegExp
}[] = [
  {
    name: 'a token Gitea does not know (401)',
    fault: null,
    env: { GITEA_TOKEN: 'revoked-token' },
    code: 'GITEA_TOKEN_REJECTED',
    advice: /token rejected — regenerate GITEA_TOKEN/,
  },
  {
    name: 'a token without read:repository (403)',
    fault: fault.status403(),
    code: 'GITEA_FORBIDDEN',
    advice: /lacks read:repository, or is public-only on a private repository/,
  },
  {
    name: 'a renamed repository (301, Gitea ≥ 1.23.7)',
    fault: fault.moved('acme-labs/seo-template'),
    code: 'GITEA_REPO_MOVED',
    advice: /repository moved to acme-labs\/seo-template — update the manifest/,
  },
  {
    name: 'a renamed repository (307, Gitea < 1.23.7, Forgejo < 12)',
    fault: fault.moved('acme-labs/seo-template', 307),
    code: 'GITEA_REPO_MOVED',
    advice: /repository moved to acme-labs\/seo-template/,
  },
  {
    name: 'a repository the token cannot see (404)',
    fault: null,
    env: {},
    code: 'GITEA_NOT_FOUND',
    advice: /no such repository/,
  },
]

describe('Gitea refusals', () => {
  for (const c of CASES) {
    it(`${c.name}: ${c.code}, once, shown by ls and the admin API`, async () => {
      if (c.fault) fx.gitea.faults.inject('branch', c.fault)
      if (c.code === 'GITEA_NOT_FOUND') fx.gitea.removeRepo(fx.repo.fullName)
      const server = await fx.start(c.env)
      const index = server.runtime.index
      const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }
      const queued = await fetch(`${server.url}/v1/admin/templates/seo/refresh`, {
        method: 'POST',
        headers: admin,
        body: '{}',
      })
      expect(queued.status).toBe(202)
      await until(() => index.jobs.list({ state: 'failed' }).length === 1)
      const job = index.jobs.list({ state: 'failed' })[0]!
      expect(job.lastErrorCode).toBe(c.code)
      expect(job.lastError).toMatch(c.advice)
      expect(job.attempts).toBe(1)
      // The job's one call, after the reconciler's start-up pass: neither is retried.
      expect(fx.gitea.requests.filter((r) => r.route === 'branch').length).toBeLessThanOrEqual(2)
      expect(fx.gitea.requests.filter((r) => r.route === 'archive')).toHaveLength(0)
      // The token never appears in what is shown.
      expect(job.lastError).not.toContain(fx.config.gitea!.token.reveal())

      const res = await fetch(`${server.url}/v1/admin/templates/seo`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      })
      expect(res.status).toBe(200)
      const { template: view } = (await res.json()) as {
        template: {
          health: string
          lastError: { code: string; detail: string; advice: string } | null
        }
      }
      expect(view.health).toBe('failing')
      expect(view.lastError?.code).toBe(c.code)
      expect(view.lastError?.detail).toMatch(c.advice)

      expect(view.lastError).toMatchObject({ advice: adviceFor(c.code) })

      const ls = await cli(['ls'], { ASSET_CACHE_DATA_DIR: fx.config.dataDir })
      expect(ls.stdout).toContain(c.code)
      expect(ls.stdout).toContain(`seo: ${c.code}: ${adviceFor(c.code)}`)

      // /readyz names it with its advice; the template had nothing to serve yet, so not ready.
      const ready = (await (await fetch(`${server.url}/readyz`)).json()) as {
        checks: { templates: { attention: unknown[] } }
      }
      expect(ready.checks.templates.attention).toEqual([
        { template: 'seo', code: c.code, advice: adviceFor(c.code) },
      ])
    })
  }
})
