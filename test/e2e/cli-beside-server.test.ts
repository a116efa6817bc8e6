// Every data-directory command beside a running server, as an operator runs it: a child process
// with nothing in its environment but ASSET_CACHE_DATA_DIR (no manifest). The server must keep
// serving every template, before, during and after each one.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningServer, startServer } from '../../src/http/server.js'
import { silentLogger } from '../../src/log.js'
import { cli } from '../support/cli.js'
import { createRepo, type FakeGitea, startFakeGitea } from '../support/gitea/index.js'
import { testConfig } from '../support/runtime.js'
import { until } from '../support/wait.js'

const TOKEN = 'gitea-read-token'
const NAMES = ['seo', 'docs']

let gitea: FakeGitea
let server: RunningServer
let dataDir: string
let archive: string
const served = new Map<string, string>()

async function answers(): Promise<Map<string, number>> {
  const statuses = new Map<string, number>()
  for (const name of NAMES) {
    const res = await fetch(`${server.url}/v1/templates/${name}`)
    statuses.set(name, res.status)
    const body = (await res.json()) as { digest?: string }
    if (res.status === 200) expect(body.digest).toBe(served.get(name))
  }
  return statuses
}

beforeAll(async () => {
  gitea = await startFakeGitea({ tokens: [TOKEN] })
  const templates = []
  for (const name of NAMES) {
    const repo = gitea.addRepo(
      await createRepo({
        owner: 'acme',
        name,
        files: { 'config.yaml': `name: ${name}\n`, 'prompts/a.md': `${name}\n` },
      }),
    )
    templates.push({ name, repo: repo.fullName, ref: 'main' })
  }
  const config = testConfig(templates, {
    GITEA_BASE_URL: gitea.url,
    GITEA_TOKEN: TOKEN,
    ASSET_CACHE_RECONCILE_INTERVAL: '1h',
  })
  dataDir = config.dataDir
  server = await startServer(config, { logger: silentLogger })
  const { index } = server.runtime
  await until(() =>
    NAMES.every((n) => {
      const t = index.templates.get(n)
      return t?.currentVersionId != null && index.versions.get(t.currentVersionId)?.digest != null
    }),
  )
  for (const n of NAMES) {
    const t = index.templates.get(n)!
    served.set(n, index.versions.get(t.currentVersionId!)!.digest!)
  }
  const hand = await createRepo({
    owner: 'acme',
    name: 'hand',
    files: { 'config.yaml': 'name: hand\n' },
  })
  archive = join(mkdtempSync(join(tmpdir(), 'asset-cache-archive-')), 'hand.tar.gz')
  await hand.git('archive', '--format=tar.gz', '--prefix=hand/', '-o', archive, 'HEAD')
}, 60_000)

afterAll(async () => {
  await server?.close(1_000)
  await gitea?.stop()
})

describe('data-directory commands beside a running server, with no manifest', () => {
  const commands: [string, string[]][] = [
    ['ls', ['ls']],
    ['ls NAME', ['ls', 'seo']],
    ['ingest', ['ingest', '__archive__', '--template', 'hand', '--untracked']],
    ['gc', ['gc']],
    ['verify', ['verify']],
    ['migrate', ['migrate']],
    ['forget', ['forget', 'hand']],
  ]
  for (const [label, args] of commands) {
    it(`${label}: every template keeps being served`, async () => {
      const before = await answers()
      expect([...before.values()]).toEqual([200, 200])
      const run = cli(
        args.map((a) => (a === '__archive__' ? archive : a)),
        { ASSET_CACHE_DATA_DIR: dataDir },
      )
      let done = false
      void run.finally(() => {
        done = true
      })
      // While it runs, and once after it exits.
      do {
        expect([...(await answers()).values()]).toEqual([200, 200])
        await new Promise((r) => setTimeout(r, 25))
      } while (!done)
      const r = await run
      expect(r.stderr).not.toMatch(/at .*\(.*:\d+:\d+\)/)
      expect(r.code).toBe(0)
      expect([...(await answers()).values()]).toEqual([200, 200])
      const list = (await (await fetch(`${server.url}/v1/templates`)).json()) as { name: string }[]
      expect(list.map((t) => t.name)).toEqual(expect.arrayContaining(NAMES))
      expect(
        server.runtime.index.templates
          .tracked()
          .map((t) => t.name)
          .sort(),
      ).toEqual([...NAMES].sort())
    }, 60_000)
  }
})
