// End to end, once per way Gitea serves archives (docs/operations.md#how-gitea-serves-archives):
// streamed (1.25), generated in the queue (≤ 1.24, Forgejo, STREAM_ARCHIVES=false), redirected to
// object storage (SERVE_DIRECT), without a top-level directory (PREFIX_ARCHIVE_FILES=false), and
// from a SHA-256 repository. Each runs the whole path: start-up reconcile → archive → ready →
// provisioner boot (pull) → push webhook → the new commit ready → the next boot gets it.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { type RunningServer, startServer } from '../../src/http/server.js'
import { pull } from '../../src/index.js'
import { silentLogger } from '../../src/log.js'
import {
  type ArchiveMode,
  createRepo,
  type FakeGitea,
  type ObjectFormat,
  type ObjectStorage,
  push,
  sendWebhook,
  startFakeGitea,
  startObjectStorage,
} from '../support/gitea/index.js'
import { testConfig } from '../support/runtime.js'
import { until } from '../support/wait.js'

const TOKEN = 'gitea-read-token'
const SECRET = 'hook-secret'
const READ_TOKEN = 'provisioner-token'
const FILES = {
  'config.yaml': 'name: seo\n',
  'prompts/system.md': 'Be brief.\n',
  'agent-skills/kw/run.sh': { content: '#!/bin/sh\necho kw\n', mode: 0o755 as const },
  Dockerfile: 'FROM scratch\n',
}

interface Case {
  name: string
  mode: (storage: ObjectStorage) => ArchiveMode
  prefix?: boolean
  objectFormat?: ObjectFormat
}

const CASES: Case[] = [
  { name: 'stream (Gitea 1.25)', mode: () => ({ kind: 'stream' }) },
  { name: 'generate (archive queue)', mode: () => ({ kind: 'generate' }) },
  { name: 'legacy-unknown-sha (Gitea ≤ 1.24)', mode: () => ({ kind: 'legacy-unknown-sha' }) },
  {
    name: 'redirect (SERVE_DIRECT)',
    mode: (storage) => ({ kind: 'redirect', storage, status: 303 }),
  },
  {
    name: 'unprefixed (PREFIX_ARCHIVE_FILES=false)',
    mode: () => ({ kind: 'stream' }),
    prefix: false,
  },
  {
    name: 'unprefixed, generated',
    mode: () => ({ kind: 'generate', waitMs: 300 }),
    prefix: false,
  },
  { name: 'SHA-256 repository', mode: () => ({ kind: 'stream' }), objectFormat: 'sha256' },
  {
    name: 'SHA-256 repository, generated',
    mode: () => ({ kind: 'generate', waitMs: 300 }),
    objectFormat: 'sha256',
  },
]

let gitea: FakeGitea | null = null
let storage: ObjectStorage | null = null
let server: RunningServer | null = null
const dirs: string[] = []
/** Digest of the first commit, by object format: every mode must give the same one. */
const digests = new Map<string, Set<string>>()

afterEach(async () => {
  await server?.close(1_000)
  await gitea?.stop()
  await storage?.stop()
  // The storage stand-in records any request that carried a credential.
  expect(storage?.violations ?? []).toEqual([])
  server = gitea = storage = null
})

afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })))
})

async function workspace(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'asset-cache-modes-'))
  dirs.push(dir)
  return dir
}

describe.each(CASES)('archives served $name', ({ mode, prefix, objectFormat }) => {
  it('ingests, boots, and follows a push', async () => {
    storage = await startObjectStorage()
    gitea = await startFakeGitea({ tokens: [TOKEN] })
    gitea.setArchiveMode(mode(storage))
    if (prefix === false) gitea.setPrefixArchiveFiles(false)
    const repo = gitea.addRepo(
      await createRepo({ owner: 'acme', name: 'Agent-Template-SEO', files: FILES, objectFormat }),
    )
    const first = await repo.head()
    expect(first).toHaveLength(objectFormat === 'sha256' ? 64 : 40)
    const config = testConfig([{ name: 'seo', repo: repo.fullName }], {
      GITEA_BASE_URL: gitea.url,
      GITEA_TOKEN: TOKEN,
      ASSET_CACHE_WEBHOOK_SECRET: SECRET,
      ASSET_CACHE_READ_TOKENS: READ_TOKEN,
      ASSET_CACHE_RECONCILE_INTERVAL: '1h',
      ...(prefix === false ? { GITEA_ARCHIVE_PREFIX: 'false' } : {}),
    })
    server = await startServer(config, {
      logger: silentLogger,
      giteaTiming: { backoffBaseMs: 20, backoffMaxMs: 200 },
      jobBackoffBaseMs: 20,
    })
    const index = server.runtime.index
    const version = (commit: string) => index.versions.byCommit('seo', commit)
    await until(() => version(first)?.status !== undefined)
    expect(version(first)).toMatchObject({ status: 'ready', commit: first })
    const format = objectFormat ?? 'sha1'
    digests.set(format, (digests.get(format) ?? new Set()).add(version(first)!.digest!))

    const ws = await workspace()
    const booted = await pull(server.url, 'seo', { into: ws, token: READ_TOKEN })
    expect(booted).toMatchObject({ status: 'pulled', digest: version(first)!.digest })
    expect(await readFile(join(ws, 'prompts/system.md'), 'utf8')).toBe('Be brief.\n')

    const payload = await push(repo, { 'prompts/system.md': 'Be briefer.\n' })
    expect(payload.before).toBe(first)
    const delivery = await sendWebhook(`${server.url}/hooks/gitea`, {
      secret: SECRET,
      event: 'push',
      payload,
    })
    expect(delivery.status).toBe(202)
    await until(() => version(payload.after)?.status !== undefined)
    expect(version(payload.after)).toMatchObject({ status: 'ready', source: 'webhook' })
    const next = await pull(server.url, 'seo', { into: ws, token: READ_TOKEN })
    expect(next).toMatchObject({ status: 'pulled', digest: version(payload.after)!.digest })
    expect(await readFile(join(ws, 'prompts/system.md'), 'utf8')).toBe('Be briefer.\n')

    const archives = gitea.requests.filter((r) => r.route === 'archive')
    expect(archives.map((r) => r.status)).toEqual(
      mode(storage).kind === 'redirect' ? [303, 303] : [200, 200],
    )
  })
})

it('gives one digest per object format, whatever the mode', () => {
  for (const [format, seen] of digests) expect([format, seen.size]).toEqual([format, 1])
})
