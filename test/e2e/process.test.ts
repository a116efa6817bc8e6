// `asset-cache serve` as a real process: SIGKILL mid-job loses nothing, SIGTERM drains.
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Config } from '../../src/config.js'
import { openIndex } from '../../src/db/index.js'
import {
  createRepo,
  type FakeGitea,
  fault,
  type GitRepo,
  startFakeGitea,
} from '../support/gitea/index.js'
import { testConfig } from '../support/runtime.js'
import { until } from '../support/wait.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const TOKEN = 'gitea-token'

let gitea: FakeGitea
let repos: GitRepo[]
let config: Config
const children: ChildProcess[] = []

function serve(): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/main.ts'), 'serve'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      ASSET_CACHE_DATA_DIR: config.dataDir,
      ASSET_CACHE_TEMPLATES: config.templatesFile!,
      ASSET_CACHE_PORT: '0',
      ASSET_CACHE_RECONCILE_INTERVAL: '1h',
      GITEA_BASE_URL: gitea.url,
      GITEA_TOKEN: TOKEN,
      ASSET_CACHE_WEBHOOK_SECRET: 's',
      ASSET_CACHE_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  children.push(child)
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    lines.on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; url?: string }
        if (entry.msg === 'asset-cache listening') resolve({ child, url: entry.url!, exited })
      } catch {}
    })
    child.once('exit', (code) => reject(new Error(`serve exited early with ${code}`)))
  })
}

function snapshot() {
  const index = openIndex(join(config.dataDir, 'index.db'))
  try {
    return {
      jobs: index.jobs.list({ limit: 1000 }),
      versions: repos.flatMap((_, i) => index.versions.list(`t${i}`)),
      current: repos.map((_, i) => {
        const t = index.templates.get(`t${i}`)
        return t?.currentVersionId ? index.versions.get(t.currentVersionId)?.commit : null
      }),
    }
  } finally {
    index.close()
  }
}

beforeEach(async () => {
  gitea = await startFakeGitea({ tokens: [TOKEN] })
  repos = []
  for (let i = 0; i < 3; i++) {
    repos.push(
      gitea.addRepo(
        await createRepo({ owner: 'acme', name: `t${i}`, files: { 'config.yaml': `n: ${i}\n` } }),
      ),
    )
  }
  config = testConfig(repos.map((r, i) => ({ name: `t${i}`, repo: r.fullName })))
})

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL')
  await gitea.stop()
})

describe('serve process', () => {
  it('loses no job when SIGKILLed while jobs run; the restart completes each exactly once', async () => {
    // Every archive drips slowly, so the kill lands while all three jobs are running.
    gitea.faults.inject('archive', fault.drip(64, 50), { times: 3 })
    const first = await serve()
    await until(() => gitea.requests.filter((r) => r.route === 'archive').length >= 3, {
      timeoutMs: 20_000,
    })
    first.child.kill('SIGKILL')
    await first.exited
    const interrupted = snapshot()
    expect(interrupted.jobs.filter((j) => j.state === 'running')).toHaveLength(3)

    const heads = await Promise.all(repos.map((r) => r.head()))
    const interruptedIds = interrupted.jobs.map((j) => j.id).sort()
    gitea.reset()
    const second = await serve()
    await until(
      () => {
        const s = snapshot()
        const settled = s.jobs.every((j) => j.state === 'done' || j.state === 'failed')
        return settled && JSON.stringify(s.current) === JSON.stringify(heads)
      },
      { timeoutMs: 30_000 },
    )
    const done = snapshot()
    expect(done.jobs.filter((j) => j.state === 'queued' || j.state === 'running')).toEqual([])
    // Each interrupted job ran again and completed once; later reconcile jobs found nothing to do.
    expect(done.jobs.filter((j) => interruptedIds.includes(j.id)).map((j) => j.state)).toEqual([
      'done',
      'done',
      'done',
    ])
    expect(gitea.counters.archiveDownloads).toBe(3)
    expect(done.versions).toHaveLength(3)
    expect(done.versions.every((v) => v.status === 'ready')).toBe(true)
    second.child.kill('SIGTERM')
    expect(await second.exited).toBe(0)
  }, 60_000)

  it('drains on SIGTERM: the running job finishes, the process exits 0', async () => {
    gitea.faults.inject('archive', fault.drip(256, 20), { times: 1, repo: repos[0]!.fullName })
    const { child, exited } = await serve()
    await until(() => snapshot().jobs.some((j) => j.state === 'running'), { timeoutMs: 20_000 })
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    const after = snapshot()
    expect(after.jobs.filter((j) => j.state === 'running')).toEqual([])
    expect(after.jobs.filter((j) => j.state === 'done').length).toBeGreaterThanOrEqual(1)
  }, 60_000)
})
