// Shared fixture for the provisioner API tests: a real runtime with templates ingested from real
// `git archive` tarballs, and an in-process app.

import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { ingest } from '../../src/cache/ingest.js'
import type { JobRow } from '../../src/db/index.js'
import { appDeps } from '../../src/http/deps.js'
import { createListener } from '../../src/http/fast-path/listener.js'
import { silentLogger } from '../../src/log.js'
import { createMetrics } from '../../src/metrics.js'
import type { Runtime } from '../../src/runtime.js'
import { runtimeApp, type TestApp } from '../support/app.js'
import { archive, commitTree, type TreeEntry } from '../support/git.js'
import { live, perTest } from '../support/per-test.js'
import { testRuntime } from '../support/runtime.js'

export const TEMPLATES = [
  { name: 'seo', repo: 'acme/agent-template-seo' },
  { name: 'docs', repo: 'acme/docs' },
  { name: 'empty', repo: 'acme/empty' },
]

export interface Fixture {
  rt: Runtime
  app: TestApp
  enqueued: JobRow[]
}

export async function fixture(env: Record<string, string> = {}): Promise<Fixture> {
  const rt = await testRuntime(TEMPLATES, env)
  const enqueued: JobRow[] = []
  const app = runtimeApp(rt, { onEnqueued: (job) => enqueued.push(job) })
  return { rt, app, enqueued }
}

/** What ingestTree() stored. */
export interface Ingested {
  digest: string
  commit: string
  size: number
}

/** A fixture with template `seo` ingested (a config.yaml and one prompt). */
export interface SeoFixture extends Fixture {
  seo: Ingested
}

/** A new SeoFixture for each test of the file (closed after it), seen through a live view. */
export function seoPerTest(): SeoFixture {
  const current = perTest(
    async () => {
      const f = await fixture()
      const tree = { 'config.yaml': 'name: seo\n', 'prompts/a.md': 'hello\n' }
      return { ...f, seo: await ingestTree(f.rt, 'seo', tree) }
    },
    (f) => f.rt.close(),
  )
  return live(current)
}

/** Another app over the fixture's runtime, on its own clock (own sessions, limits, hot cache). */
export function appWithClock(f: Fixture, now: () => number): Fixture['app'] {
  return runtimeApp(f.rt, { now })
}

/** Commits `tree` in a fresh repository and ingests its archive for `template`. */
export async function ingestTree(
  rt: Runtime,
  template: string,
  tree: Record<string, TreeEntry>,
): Promise<Ingested> {
  const dir = mkdtempSync(join(tmpdir(), 'asset-cache-repo-'))
  const commit = await commitTree(dir, tree)
  const result = await ingest(
    { index: rt.index, store: rt.store, spoolDir: rt.spoolDir, now: rt.now },
    {
      template: rt.index.templates.get(template)!,
      archive: Readable.from([await archive(dir, template)]),
      source: 'cli',
    },
  )
  if (result.status !== 'ready') throw new Error(`ingest rejected: ${result.code}`)
  return { digest: result.digest, commit, size: result.size }
}

export const errorCode = async (res: Response) =>
  ((await res.json()) as { error: { code: string } }).error.code

export interface Listening {
  /** http://127.0.0.1:PORT */
  base: string
  /** Closes the server and its open connections (the runtime stays open). */
  close: () => Promise<void>
}

/** The fixture's runtime behind the listener `serve` runs (fast path, then the app), on loopback. */
export async function listenFixture(f: Fixture): Promise<Listening> {
  const { config, index, store, now } = f.rt
  const server = createServer(
    createListener(
      appDeps({ config, index, store, now, logger: silentLogger, metrics: createMetrics() }),
    ),
  )
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections()
      await new Promise((done) => server.close(done))
    },
  }
}
