// `npm run demo`: a Gitea-compatible server with a sample template, the cache wired to it, a
// push delivered as a signed webhook, each step printed until the new digest is ready.
import { spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { silentLogger } from '../../src/log.js'
import { startServer } from '../../src/server.js'
import { createRepo, push, sendWebhook, startFakeGitea } from '../support/gitea/index.js'
import { testConfig } from '../support/runtime.js'
import { until } from '../support/wait.js'

const TOKEN = 'demo-read-token'
const SECRET = 'demo-webhook-secret'
const step = (text: string) => process.stdout.write(`\n▶ ${text}\n`)
const info = (text: string) => process.stdout.write(`  ${text}\n`)

step('Starting a Gitea-compatible server with a sample template repository')
const gitea = await startFakeGitea({ tokens: [TOKEN] })
const repo = gitea.addRepo(
  await createRepo({
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
const config = testConfig([{ name: 'seo-agent', repo: repo.fullName, ref: 'main' }], {
  GITEA_BASE_URL: gitea.url,
  GITEA_TOKEN: TOKEN,
  ASSET_CACHE_WEBHOOK_SECRET: SECRET,
  ASSET_CACHE_DATA_DIR: join(mkdtempSync(join(tmpdir(), 'asset-cache-demo-')), 'data'),
})
const server = await startServer(config, { logger: silentLogger })
info(`${server.url}  data ${config.dataDir}`)
const current = () => {
  const t = server.runtime.index.templates.get('seo-agent')
  return t?.currentVersionId ? server.runtime.index.versions.get(t.currentVersionId) : null
}

step('The start-up reconcile fetches the branch head')
await until(() => current() !== null, 30_000)
info(`ready ${current()!.digest}  commit ${current()!.commit?.slice(0, 10)}`)

step('Committing and pushing a change to prompts/system.md')
const payload = await push(repo, {
  'prompts/system.md': 'You write search-friendly, concise copy.\n',
})
info(`pushed ${payload.after.slice(0, 10)}`)

step('Delivering the signed push webhook')
const started = performance.now()
const delivery = await sendWebhook(`${server.url}/hooks/gitea`, {
  secret: SECRET,
  event: 'push',
  payload,
})
info(
  `POST /hooks/gitea → ${delivery.status} ${delivery.body.trim()}  (${(performance.now() - started).toFixed(1)} ms)`,
)

step('Waiting for the refresh job: branch head → archive → validate → store')
await until(() => current()?.commit === payload.after, 30_000)
const v = current()!
info(
  `ready ${v.digest}  commit ${v.commit?.slice(0, 10)}  ${v.fileCount} files, ${v.bundleBytes} bytes (skipped ${v.skippedCount})`,
)
info(`archive downloads at the Gitea server: ${gitea.counters.archiveDownloads}`)

step('asset-cache ls')
await server.close()
const root = fileURLToPath(new URL('../..', import.meta.url))
spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/main.ts'), 'ls'], {
  stdio: 'inherit',
  env: {
    ...process.env,
    ASSET_CACHE_DATA_DIR: config.dataDir,
    ASSET_CACHE_TEMPLATES: config.templatesFile!,
  },
})
await gitea.stop()
