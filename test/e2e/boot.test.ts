// The reason the cache exists: a boot resolves, downloads, verifies and materializes through the
// real server — and keeps doing so with Gitea stopped.
import { mkdtempSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { type RunningServer, startServer } from '../../src/http/server.js'
import { pull } from '../../src/index.js'
import { silentLogger } from '../../src/log.js'
import { createRepo, type FakeGitea, startFakeGitea } from '../support/gitea/index.js'
import { testConfig } from '../support/runtime.js'
import { until } from '../support/wait.js'

const READ_TOKEN = 'provisioner-token'
let gitea: FakeGitea | null = null
let server: RunningServer | null = null

afterEach(async () => {
  await server?.close(1_000)
  await gitea?.stop()
  server = null
  gitea = null
})

it('boots from the cache, and keeps booting with Gitea stopped', async () => {
  gitea = await startFakeGitea({ tokens: ['gitea-token'] })
  const repo = gitea.addRepo(
    await createRepo({
      owner: 'acme',
      name: 'agent-template-seo',
      files: {
        'config.yaml': 'name: seo\n',
        'prompts/system.md': 'Be brief.\n',
        'agent-skills/kw/run.sh': { content: '#!/bin/sh\necho kw\n', mode: 0o755 },
        Dockerfile: 'FROM scratch\n',
      },
    }),
  )
  const config = testConfig([{ name: 'seo', repo: repo.fullName }], {
    GITEA_BASE_URL: gitea.url,
    GITEA_TOKEN: 'gitea-token',
    ASSET_CACHE_READ_TOKENS: READ_TOKEN,
    ASSET_CACHE_RECONCILE_INTERVAL: '1h',
  })
  server = await startServer(config, { logger: silentLogger })
  const index = server.runtime.index
  await until(() => index.templates.get('seo')?.currentVersionId != null)

  const ws = mkdtempSync(join(tmpdir(), 'asset-cache-ws-'))
  const first = await pull(server.url, 'seo', { into: ws, token: READ_TOKEN })
  expect(first.status).toBe('pulled')
  expect(readFileSync(join(ws, 'prompts/system.md'), 'utf8')).toBe('Be brief.\n')
  expect(statSync(join(ws, 'agent-skills/kw/run.sh')).mode & 0o777).toBe(0o755)
  expect(() => statSync(join(ws, 'Dockerfile'))).toThrow()

  await gitea.stop()
  gitea = null
  // Gitea is gone: the next boot of this workspace is a 304 no-op, a fresh one is a full pull.
  expect((await pull(server.url, 'seo', { into: ws, token: READ_TOKEN })).status).toBe('unchanged')
  let booted = 0
  for (let i = 0; i < 20; i++) {
    const fresh = mkdtempSync(join(tmpdir(), 'asset-cache-ws-'))
    const r = await pull(server.url, 'seo', { into: fresh, token: READ_TOKEN })
    if (r.status === 'pulled' && r.digest === first.digest) booted++
  }
  expect(booted).toBe(20)
  await expect(pull(server.url, 'seo', { into: ws, token: 'wrong' })).rejects.toMatchObject({
    code: 'UNAUTHORIZED',
  })
})
