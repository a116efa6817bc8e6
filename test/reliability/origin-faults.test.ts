// Origin faults: with every template cached, provisioner boots (resolve + download + verify +
// materialize through src/client) run without pause while the fake Gitea answers 500, 429 with
// Retry-After, hangs, drips, truncates, resets connections, is stopped outright, and serves its
// archives from its queue (in time, and slower than the wait) or through storage redirects — and
// pushes (with their webhooks) keep coming. Checked: every boot succeeds with a ready bundle of its
// template (the last good one); the fetch attempts Gitea sees during a fault are bounded
// (backoff); once the fault clears, every template reaches its branch head within one reconcile
// interval (ASSET_CACHE_RECONCILE_INTERVAL=2s) plus a job's run time.
//
// The server runs in-process (startServer) so the Gitea client's timeouts can be shortened
// (giteaTiming: a 1.5 s headers/idle-body timeout instead of 30 s/10 s) and its metrics read; the
// worker pool keeps its production backoff. Figures: test-artifacts/reliability/origin.json.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Config } from '../../src/config.js'
import { type RunningServer, startServer } from '../../src/http/server.js'
import { pull } from '../../src/index.js'
import { silentLogger } from '../../src/log.js'
import type {
  ArchiveMode,
  FakeGitea,
  Fault,
  GitRepo,
  ObjectStorage,
  RouteKind,
} from '../support/gitea/index.js'
import { fault, push, startFakeGitea, startObjectStorage } from '../support/gitea/index.js'
import { testConfig } from '../support/runtime.js'
import { killServerProcesses } from '../support/server-process.js'
import { until } from '../support/wait.js'
import { FULL, pick } from './mode.js'
import {
  branchHeads,
  GITEA_TOKEN,
  makeRepos,
  percentile,
  READ_TOKEN,
  startServe,
  WEBHOOK_SECRET,
  writeArtifact,
} from './rel-server.js'

const TEMPLATES = 3
const HOLD_MS = pick(1_500, 12_000)
const RECONCILE_MS = 2_000
const BOOTERS = 2
/** A job's own run time on this shared machine, on top of the reconcile interval and its jitter. */
const RECOVERY_SLACK_MS = 2_000
const HEADERS_TIMEOUT_MS = 1_500

interface Phase {
  name: string
  route?: RouteKind | 'any'
  fault?: Fault
  /** How Gitea serves archives during the phase (stream otherwise). */
  mode?: (storage: ObjectStorage) => ArchiveMode
  /** The listener is closed for the phase (connections refused), then started again. */
  stopped?: boolean
}

const PHASES: Phase[] = [
  { name: 'status500', route: 'any', fault: fault.status500() },
  { name: 'status429', route: 'any', fault: fault.status429(1) },
  { name: 'hang', route: 'any', fault: fault.hang() },
  { name: 'drip', route: 'archive', fault: fault.drip(32, 100) },
  { name: 'truncate', route: 'archive', fault: fault.truncate(300) },
  { name: 'truncateClean', route: 'archive', fault: fault.truncateClean(300) },
  { name: 'reset', route: 'any', fault: fault.refuse() },
  { name: 'stopped', stopped: true },
  // The archive modes (docs/operations.md#how-gitea-serves-archives): the queue answering within
  // the wait, a queue slower than the wait (GITEA_ARCHIVE_TIMEOUT), storage redirects, and storage
  // redirects while the archive route answers 500.
  { name: 'generate', mode: () => ({ kind: 'generate', waitMs: 500 }) },
  {
    name: 'generateSlow',
    mode: () => ({ kind: 'legacy-unknown-sha', waitMs: HEADERS_TIMEOUT_MS * 2 }),
  },
  { name: 'redirect', mode: (storage) => ({ kind: 'redirect', storage, status: 303 }) },
  {
    name: 'redirect500',
    mode: (storage) => ({ kind: 'redirect', storage, status: 303 }),
    route: 'archive',
    fault: fault.status500(),
  },
]

let gitea: FakeGitea
let storage: ObjectStorage
let port: number
let repos: GitRepo[]
let config: Config
let server: RunningServer
const workspaces: string[] = []

beforeAll(async () => {
  gitea = await startFakeGitea({ tokens: [GITEA_TOKEN] })
  storage = await startObjectStorage()
  port = Number(new URL(gitea.url).port)
  repos = await makeRepos(gitea, TEMPLATES, 'origin')
  config = testConfig(
    repos.map((r) => ({ name: r.name, repo: r.fullName })),
    {
      GITEA_BASE_URL: gitea.url,
      GITEA_TOKEN,
      ASSET_CACHE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      ASSET_CACHE_READ_TOKENS: READ_TOKEN,
      ASSET_CACHE_RECONCILE_INTERVAL: `${RECONCILE_MS / 1000}s`,
      ASSET_CACHE_GC_INTERVAL: 'off',
    },
  )
  server = await startServer(config, {
    logger: silentLogger,
    giteaTiming: {
      headersTimeoutMs: HEADERS_TIMEOUT_MS,
      archiveWaitMs: HEADERS_TIMEOUT_MS,
      bodyTimeoutMs: HEADERS_TIMEOUT_MS,
      backoffBaseMs: 250,
      backoffMaxMs: 2_000,
    },
  })
})

afterAll(async () => {
  await killServerProcesses()
  await server?.close(1_000)
  await gitea?.stop()
  await storage?.stop()
  await Promise.all(workspaces.map((w) => rm(w, { recursive: true, force: true })))
})

const index = () => server.runtime.index

function atHead(want: Record<string, string>): boolean {
  return repos.every((r) => {
    const t = index().templates.get(r.name)
    const v = t?.currentVersionId ? index().versions.get(t.currentVersionId) : null
    return v?.commit === want[r.name]
  })
}

async function giteaErrors(): Promise<number> {
  const { values } = await server.metrics.giteaRequestErrors.get()
  return values.reduce((sum, v) => sum + v.value, 0)
}

interface BootStats {
  ok: number
  failed: { template: string; error: string }[]
  notLastGood: number
  ms: number[]
}

/** Boots in a loop until `stop`: a fresh workspace each time, the whole client path. */
async function booter(stats: BootStats, stop: { stopped: boolean }, seed: number): Promise<void> {
  let n = seed
  while (!stop.stopped) {
    const repo = repos[n++ % repos.length]!
    const into = await mkdtemp(join(tmpdir(), 'asset-cache-boot-'))
    const started = performance.now()
    try {
      const result = await pull(server.url, repo.name, { into, token: READ_TOKEN })
      stats.ms.push(performance.now() - started)
      const good = index()
        .versions.list(repo.name)
        .filter((v) => v.status === 'ready')
        .map((v) => v.digest)
      if (result.status === 'pulled' && good.includes(result.digest)) stats.ok++
      else stats.notLastGood++
    } catch (err) {
      stats.failed.push({ template: repo.name, error: String((err as Error).message ?? err) })
    } finally {
      await rm(into, { recursive: true, force: true })
    }
  }
}

it(
  'keeps every boot working through origin faults and catches up within a reconcile interval',
  async () => {
    await until(() => repos.every((r) => index().templates.get(r.name)?.currentVersionId), {
      timeoutMs: 30_000,
    })

    const stats: BootStats = { ok: 0, failed: [], notLastGood: 0, ms: [] }
    const stop = { stopped: false }
    const booters = Array.from({ length: BOOTERS }, (_, i) => booter(stats, stop, i))
    const results: Record<string, unknown>[] = []

    try {
      for (const phase of PHASES) {
        const bootsBefore = stats.ok + stats.failed.length + stats.notLastGood
        const errorsBefore = await giteaErrors()
        const requestsBefore = gitea.requests.length
        const start = Date.now()
        if (phase.stopped) await gitea.stop()
        if (phase.mode) gitea.setArchiveMode(phase.mode(storage))
        if (phase.fault) gitea.faults.inject(phase.route!, phase.fault)

        // Pushes during the fault, each announced by its webhook (the server receives them; Gitea's
        // own state is the git repository, which needs no listener).
        let webhooks = 0
        for (const repo of repos) {
          const payload = await push(repo, {
            'prompts/system.md': `${phase.name} ${Date.now()}\n`,
          })
          const res = await gitea.sendWebhook(`${server.url}/hooks/gitea`, {
            secret: WEBHOOK_SECRET,
            event: 'push',
            payload,
          })
          if (res.status === 202) webhooks++
        }
        const want = await branchHeads(repos)
        await sleep(HOLD_MS)
        const held = Date.now() - start

        const during = phase.stopped ? [] : gitea.requests.slice(requestsBefore)
        const attempts = {
          branch: during.filter((r) => r.route === 'branch').length,
          archive: during.filter((r) => r.route === 'archive').length,
        }
        const failedAttempts = (await giteaErrors()) - errorsBefore
        // Recovery.
        const cleared = Date.now()
        if (phase.stopped) {
          gitea = await startFakeGitea({ tokens: [GITEA_TOKEN], port })
          for (const r of repos) gitea.addRepo(r)
        } else {
          gitea.faults.clear()
          gitea.setArchiveMode({ kind: 'stream' })
        }
        let recoveryMs: number | null = null
        await until(() => atHead(want), { timeoutMs: 60_000, everyMs: 20 })
          .then(() => {
            recoveryMs = Date.now() - cleared
          })
          .catch(() => {})
        const jobs = index().jobs.list({ limit: 50 })
        const boots = stats.ok + stats.failed.length + stats.notLastGood - bootsBefore
        const row = {
          phase: phase.name,
          heldMs: held,
          webhooks,
          boots,
          fetchAttemptsSeenByGitea: phase.stopped ? null : attempts.branch + attempts.archive,
          branchAttempts: phase.stopped ? null : attempts.branch,
          archiveAttempts: phase.stopped ? null : attempts.archive,
          failedAttemptsCounted: failedAttempts,
          attemptsPerTemplatePerSecond:
            Math.round(
              ((phase.stopped ? failedAttempts : attempts.branch + attempts.archive) /
                TEMPLATES /
                (held / 1000)) *
                100,
            ) / 100,
          recoveryMs,
          jobsAfter: jobs
            .filter((j) => j.state === 'queued')
            .map((j) => ({ template: j.template, runAfterMs: j.runAfter - Date.now() })),
        }
        results.push(row)
        console.log(`origin phase ${JSON.stringify(row)}`)
      }
    } finally {
      stop.stopped = true
      await Promise.all(booters)
    }

    const total = stats.ok + stats.failed.length + stats.notLastGood
    const figures = {
      mode: FULL ? 'full' : 'quick',
      holdMs: HOLD_MS,
      reconcileIntervalMs: RECONCILE_MS,
      headersTimeoutMs: HEADERS_TIMEOUT_MS,
      boots: total,
      bootsOk: stats.ok,
      bootSuccessPct: total ? Math.round((stats.ok / total) * 10_000) / 100 : 0,
      bootFailures: stats.failed.slice(0, 20),
      bootsNotLastGood: stats.notLastGood,
      bootMsP50: Math.round(percentile(stats.ms, 50)),
      bootMsP99: Math.round(percentile(stats.ms, 99)),
      phases: results,
    }
    const path = await writeArtifact('origin.json', figures)
    const summary = results
      .map(
        (r) =>
          `${r.phase}:att=${r.fetchAttemptsSeenByGitea ?? `~${r.failedAttemptsCounted}`},rec=${r.recoveryMs}ms`,
      )
      .join(' ')
    console.log(
      `origin: boots=${total} ok=${figures.bootSuccessPct}% p50=${figures.bootMsP50}ms ` +
        `p99=${figures.bootMsP99}ms ${summary} → ${path}`,
    )

    expect(stats.failed).toEqual([])
    expect(stats.notLastGood).toBe(0)
    // The storage stand-in records any request that carried the Gitea token or a cookie.
    expect(storage.violations).toEqual([])
    expect(total).toBeGreaterThan(PHASES.length * 5)
    for (const r of results) {
      // Backoff: per template, a reconcile's branch lookup and a job's lookups and downloads, each
      // with bounded retries, and no more than a handful per second while the fault lasts.
      const perSecond = r.attemptsPerTemplatePerSecond as number
      expect(perSecond, `${r.phase} attempts/template/s`).toBeLessThan(6)
      expect(r.recoveryMs, `${r.phase} recovery`).not.toBeNull()
      expect(r.recoveryMs as number, `${r.phase} recovery`).toBeLessThanOrEqual(
        RECONCILE_MS * 1.1 + RECOVERY_SLACK_MS,
      )
    }
  },
  pick(150_000, 500_000),
)

// A 200 whose socket is destroyed mid-body once ended `asset-cache serve` (an unheard 'error' on
// the refresher's byte counter). In a child process, so a crash shows as an exit.
it('serve survives an archive whose connection is destroyed mid-body', async () => {
  // A repository of its own: the in-process server above must not meet the destroyed body too.
  const [repo] = await makeRepos(gitea, 1, 'origin-child')
  if (!repo) throw new Error('no repo')
  const work = await mkdtemp(join(tmpdir(), 'asset-cache-origin-child-'))
  workspaces.push(work)
  const manifest = join(work, 'templates.json')
  await writeFile(
    manifest,
    JSON.stringify({ workspace_templates: [{ name: repo.name, repo: repo.fullName }] }),
  )
  const child = await startServe({
    dataDir: join(work, 'data'),
    templatesFile: manifest,
    giteaUrl: gitea.url,
  })
  try {
    gitea.faults.clear()
    // It is a race (the validator may refuse the short body before the socket's end arrives), so
    // the destroyed 200 repeats for every retry, for up to 15 s.
    const rule = gitea.faults.inject('archive', fault.truncate(300), { repo: repo.fullName })
    const payload = await push(repo, { 'prompts/system.md': `destroyed ${Date.now()}\n` })
    await gitea.sendWebhook(`${child.url}/hooks/gitea`, {
      secret: WEBHOOK_SECRET,
      event: 'push',
      payload,
    })
    await until(() => child.child.exitCode !== null || child.child.signalCode !== null, {
      timeoutMs: 15_000,
    })
      .catch(() => {})
      .finally(() => rule.clear())
    const exited = child.child.exitCode !== null || child.child.signalCode !== null
    if (exited)
      console.log(
        `origin: serve died on a destroyed archive body:\n${child.lines.slice(-3).join('\n')}`,
      )
    expect(exited).toBe(false)
  } finally {
    await child.kill()
  }
}, 60_000)
