// `npm run demo`: a Gitea-compatible server with a sample template, the cache wired to it, a
// push delivered as a signed webhook, each step printed until the new digest is ready. Everything
// it writes (repository, manifest, data directory) is under one temporary directory, removed at
// the end, even when a step fails.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadConfig } from '../../src/config.js'
import { type RunningServer, startServer } from '../../src/http/server.js'
import { silentLogger } from '../../src/log.js'
import type { FakeGitea } from '../support/gitea/index.js'
import { createRepo, push, sendWebhook, startFakeGitea } from '../support/gitea/index.js'
import { until } from '../support/wait.js'

const TOKEN = 'demo-read-token'
const SECRET = 'demo-webhook-secret'
const step = (text: string) => process.stdout.write(`\n▶ ${text}\n`)
const info = (text: string) => process.stdout.write(`  ${text}\n`)

const root = mkdtempSync(join(tmpdir(), 'asset-cache-demo-'))
let gitea: FakeGitea | null = null
let server: RunningServer | null = null
try {
  step('Starting a Gitea-compatible server with a sample template repository')
  gitea = await startFakeGitea({ tokens: [TOKEN] })
  const repo = gitea.addRepo(
    await createRepo({
      parentDir: root,
      owner: 'acme',
      name: 'agent-template-seo',
      files: {
        'config.yaml': 'name: seo-agent\nmodel: small\n',
        'prompts/system.md': 'You write search-friendly copy.\n',
        'agent-skills/keywords/run.sh': { content: '#!/bin/sh\necho keywords\n', mode: 0o755 },
        Dockerfile: 'FROM node:20-slim\n',
        'README.md': '# SEO agent template\n',
      },
    }),
  )
  info(`${gitea.url}  repo ${repo.fullName}  head ${(await repo.head()).slice(0, 10)}`)

  step('Starting asset-cache wired to it (templates manifest, token, webhook secret)')
  const manifest = join(root, 'templates.json')
  writeFileSync(
    manifest,
    JSON.stringify({
      workspace_templates: [{ name: 'seo-agent', repo: repo.fullName, ref: 'main' }],
    }),
  )
  const config = loadConfig({
    ASSET_CACHE_DATA_DIR: join(root, 'data'),
    ASSET_CACHE_TEMPLATES: manifest,
    ASSET_CACHE_PORT: '0',
    GITEA_BASE_URL: gitea.url,
    GITEA_TOKEN: TOKEN,
    ASSET_CACHE_WEBHOOK_SECRET: SECRET,
  })
  const running = await startServer(config, { logger: silentLogger })
  server = running
  info(`${running.url}  data ${config.dataDir}`)
  const { index } = running.runtime
  const current = () => {
    const t = index.templates.get('seo-agent')
    return t?.currentVersionId ? index.versions.get(t.currentVersionId) : null
  }

  step('The start-up reconcile fetches the branch head')
  await until(() => current() !== null, { timeoutMs: 30_000 })
  info(`ready ${current()!.digest}  commit ${current()!.commit?.slice(0, 10)}`)

  step('Committing and pushing a change to prompts/system.md')
  const payload = await push(repo, {
    'prompts/system.md': 'You write search-friendly, concise copy.\n',
  })
  info(`pushed ${payload.after.slice(0, 10)}`)

  step('Delivering the signed push webhook')
  const started = performance.now()
  const delivery = await sendWebhook(`${running.url}/hooks/gitea`, {
    secret: SECRET,
    event: 'push',
    payload,
  })
  info(
    `POST /hooks/gitea → ${delivery.status} ${delivery.body.trim()}  (${(performance.now() - started).toFixed(1)} ms)`,
  )

  step('Waiting for the refresh job: branch head → archive → validate → store')
  await until(() => current()?.commit === payload.after, { timeoutMs: 30_000 })
  const v = current()!
  info(
    `ready ${v.digest}  commit ${v.commit?.slice(0, 10)}  ${v.fileCount} files, ${v.bundleBytes} bytes`,
  )
  // What the repository holds that the bundle does not: the files outside the allowlist.
  const committed = (await repo.git('ls-tree', '-r', '--name-only', 'HEAD')).trim().split('\n')
  const kept = new Set(index.bundles.files(v.digest!).map((f) => f.path))
  const skipped = committed.filter((path) => !kept.has(path))
  info(`skipped ${skipped.length} file(s) outside the allowlist: ${skipped.join(', ') || 'none'}`)
  info(`archive downloads at the Gitea server: ${gitea.counters.archiveDownloads}`)

  step('asset-cache ls')
  server = null
  await running.close()
  const project = fileURLToPath(new URL('../..', import.meta.url))
  spawnSync(process.execPath, ['--import', 'tsx', join(project, 'src/main.ts'), 'ls'], {
    stdio: 'inherit',
    env: { ...process.env, ASSET_CACHE_DATA_DIR: config.dataDir },
  })
} finally {
  await server?.close()
  await gitea?.stop()
  rmSync(root, { recursive: true, force: true })
  info(`removed ${root}`)
}
