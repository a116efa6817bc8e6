// Shared fixture for the provisioner API tests: a real runtime with templates ingested from real
// `git archive` tarballs, and an in-process app.

import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { ingest } from '../../src/cache/ingest.js'
import type { JobRow } from '../../src/db/index.js'
import { createApp } from '../../src/http/app.js'
import { appDeps } from '../../src/http/deps.js'
import { silentLogger } from '../../src/log.js'
import type { Runtime } from '../../src/runtime.js'
import { archive, commitTree, type TreeEntry } from '../support/git.js'
import { testRuntime } from '../support/runtime.js'

export const TEMPLATES = [
  { name: 'seo', repo: 'acme/agent-template-seo' },
  { name: 'docs', repo: 'acme/docs' },
  { name: 'empty', repo: 'acme/empty' },
]

export interface Fixture {
  rt: Runtime
  app: ReturnType<typeof createApp>
  enqueued: JobRow[]
}

export async function fixture(env: Record<string, string> = {}): Promise<Fixture> {
  const rt = await testRuntime(TEMPLATES, env)
  const enqueued: JobRow[] = []
  const app = createApp(
    appDeps({
      config: rt.config,
      index: rt.index,
      store: rt.store,
      logger: silentLogger,
      onEnqueued: (job) => enqueued.push(job),
    }),
  )
  return { rt, app, enqueued }
}

/** Another app over the fixture's runtime, on its own clock (own sessions, limits, hot cache). */
export function appWithClock(f: Fixture, now: () => number): Fixture['app'] {
  return createApp(
    appDeps({
      config: f.rt.config,
      index: f.rt.index,
      store: f.rt.store,
      logger: silentLogger,
      now,
    }),
  )
}

/** Commits `tree` in a fresh repository and ingests its archive for `template`. */
export async function ingestTree(
  rt: Runtime,
  template: string,
  tree: Record<string, TreeEntry>,
): Promise<{ digest: string; commit: string; size: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'asset-cache-repo-'))
  const commit = await commitTree(dir, tree)
  const result = await ingest(
    { index: rt.index, store: rt.store, spoolDir: rt.spoolDir },
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
