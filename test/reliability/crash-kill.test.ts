// Crash: `asset-cache serve` (a real child process, real env config) is SIGKILLed at seeded
// random points of an ingest — mid-download (a dripping archive), during validation (a spool file
// exists), during the blob write (a store temp file exists), or after a random delay from the
// webhook (which lands anywhere, the index write and the gaps between phases included). After each
// restart: `asset-cache verify` finds nothing corrupt, no blob without an index row survives
// start-up cleanup, no index row points to a missing blob, no commit has two ready versions, the
// jobs table holds nothing queued or running, and every template is at its branch head.
//
// Start-up removes orphan blobs only when older than 10 minutes (src/cache/orphans.ts; the age is
// not configurable from the environment), so before each restart the orphans a kill left are
// back-dated past that age: the test checks the cleanup itself, and separately counts how many
// orphans a kill leaves (at most one: the bundle whose put had published but not been indexed).
// CRASH_SEED replays a run. Figures: test-artifacts/reliability/crash.json.
import { utimesSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { cli } from '../support/cli.js'
import type { GitRepo } from '../support/gitea/index.js'
import { fault, push } from '../support/gitea/index.js'
import { until } from '../support/wait.js'
import { FULL, pick } from './mode.js'
import {
  blobDigests,
  blobPathOf,
  branchHeads,
  noise,
  type RelOrigin,
  type Served,
  seeded,
  servesHeads,
  snapshot,
  startOrigin,
  tmpEntries,
  WEBHOOK_SECRET,
  type Workspace,
  writeArtifact,
} from './rel-server.js'

const SEED = process.env.CRASH_SEED ? Number(process.env.CRASH_SEED) : 0xc7a5
const INGESTS = pick(5, 50)
const TEMPLATES = 3
const MIN_BYTES = pick(256, 512) * 1024
const MAX_BYTES = pick(1024, 3072) * 1024
const MODES = ['download', 'validate', 'blob-write', 'random'] as const
type Mode = (typeof MODES)[number]

let origin: RelOrigin
let ws: Workspace

beforeAll(async () => {
  origin = await startOrigin(TEMPLATES, 'crash')
  ws = await origin.workspace('crash')
})

afterAll(() => origin?.stop())

/** Waits until every template is at its head and no job is queued or running. */
async function settled(timeoutMs: number, server: Served): Promise<void> {
  const want = await branchHeads(origin.repos)
  const waited = until(
    () => {
      const s = snapshot(ws.dataDir, origin.names)
      return s.jobs.every((j) => j.state === 'done' || j.state === 'failed') && servesHeads(s, want)
    },
    { timeoutMs, everyMs: 50 },
  )
  await waited.catch((err: Error) => {
    const s = snapshot(ws.dataDir, origin.names)
    throw new Error(
      `${err.message}\nheads ${JSON.stringify(want)}\nindex ${JSON.stringify({ jobs: s.jobs, current: s.current })}\n${server.lines.slice(-15).join('\n')}`,
    )
  })
}

/** Polls fast (every ~1 ms) for `check`; false when `timeoutMs` passed first. */
async function poll(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (check()) return true
    await sleep(1)
  }
  return false
}

/** Where the ingest of `repo` at `commit` was when the process died, from what it left behind. */
function landedIn(repo: GitRepo, commit: string, archiveOpen: boolean): string {
  const s = snapshot(ws.dataDir, origin.names)
  if (
    s.versions.some((v) => v.template === repo.name && v.commit === commit && v.status === 'ready')
  )
    return 'after-index'
  const tmp = tmpEntries(ws.dataDir)
  if (tmp.temps.length > 0) return 'blob-write'
  if (archiveOpen) return tmp.spools.length > 0 ? 'download+validate' : 'download'
  if (tmp.spools.length > 0) return 'validate/index-write'
  return 'before-download'
}

it(
  `survives ${INGESTS} ingests with the server SIGKILLed at random points`,
  async () => {
    const random = seeded(SEED)
    const env = origin.env(ws)
    const jobMs: number[] = []
    const track = (s: Served) =>
      s.onLine.add((e) => {
        if (e.msg === 'job finished' && typeof e.totalMs === 'number' && e.outcome === 'ready')
          jobMs.push(e.totalMs)
      })
    let server = await origin.serve(ws)
    track(server)
    await settled(60_000, server)

    const figures = {
      seed: SEED,
      mode: FULL ? 'full' : 'quick',
      ingests: INGESTS,
      kills: 0,
      restarts: 0,
      killModes: {} as Record<Mode, number>,
      landed: {} as Record<string, number>,
      missedKillPoint: 0,
      corruptBlobsFound: 0,
      orphansLeftByKills: 0,
      maxOrphansAfterOneKill: 0,
      orphansSurvivingStartup: 0,
      tempFilesLeftByKills: 0,
      tempFilesSurvivingStartup: 0,
      rowsPointingToMissingBlobs: 0,
      duplicateReadyVersions: 0,
      jobsLeftQueuedOrRunning: 0,
      readyVersions: 0,
      jobs: 0,
      jobsFailed: 0,
      archiveDownloads: 0,
      restartToSettledMs: [] as number[],
      verifyMs: [] as number[],
      elapsedMs: 0,
    }
    const started = Date.now()

    for (let i = 0; i < INGESTS; i++) {
      const mode = MODES[i % MODES.length]!
      figures.killModes[mode] = (figures.killModes[mode] ?? 0) + 1
      const repo = origin.repos[Math.floor(random() * origin.repos.length)]!
      const size = MIN_BYTES + Math.floor(random() * (MAX_BYTES - MIN_BYTES))
      const payload = await push(repo, {
        'prompts/data.bin': noise(random, size),
        'config.yaml': `name: ${repo.name}\nround: ${i}\n`,
      })
      if (mode === 'download') {
        // 8 KiB every 25 ms: a MiB takes ~3 s on the wire, so the kill lands mid-body.
        origin.gitea.faults.inject('archive', fault.drip(8 * 1024, 25), {
          times: 1,
          repo: repo.fullName,
        })
      }
      const archiveOpen = () =>
        origin.gitea.requests.some(
          (r) => r.route === 'archive' && r.repo === repo.fullName && r.bytes > 0 && !r.done,
        )
      const delivery = await origin.gitea.sendWebhook(`${server.url}/hooks/gitea`, {
        secret: WEBHOOK_SECRET,
        event: 'push',
        payload,
      })
      expect(delivery.status).toBe(202)

      let hit = true
      if (mode === 'download') hit = await poll(archiveOpen, 15_000)
      else if (mode === 'validate')
        hit = await poll(() => tmpEntries(ws.dataDir).spools.length > 0, 15_000)
      else if (mode === 'blob-write')
        hit = await poll(() => tmpEntries(ws.dataDir).temps.length > 0, 15_000)
      else {
        const typical = jobMs.length ? jobMs.reduce((a, b) => a + b, 0) / jobMs.length : 300
        await sleep(Math.floor(random() * typical * 1.5))
      }
      if (!hit) figures.missedKillPoint++
      const open = archiveOpen()
      await server.kill()
      figures.kills++
      const where = landedIn(repo, payload.after, open)
      figures.landed[where] = (figures.landed[where] ?? 0) + 1

      // What the kill left behind, before start-up cleans it.
      const before = snapshot(ws.dataDir, origin.names)
      const indexed = new Set(before.bundles)
      const orphans = blobDigests(ws.dataDir).filter((d) => !indexed.has(d))
      figures.orphansLeftByKills += orphans.length
      figures.maxOrphansAfterOneKill = Math.max(figures.maxOrphansAfterOneKill, orphans.length)
      figures.tempFilesLeftByKills += tmpEntries(ws.dataDir).temps.length
      // No row refers to an orphan: it was never published to the index.
      for (const d of orphans) expect(before.versions.some((v) => v.digest === d)).toBe(false)
      // Older than start-up's 10-minute threshold, so the cleanup must take them.
      const old = (Date.now() - 11 * 60_000) / 1000
      for (const d of orphans) utimesSync(blobPathOf(ws.dataDir, d), old, old)

      const restartAt = Date.now()
      server = await origin.serve(ws)
      figures.restarts++
      track(server)
      // Start-up cleanup has run once the server listens: the back-dated orphans are gone unless a
      // re-run has already stored and indexed the same bytes again.
      const afterStart = snapshot(ws.dataDir, origin.names)
      const onDisk = new Set(blobDigests(ws.dataDir))
      const survived = orphans.filter((d) => onDisk.has(d) && !afterStart.bundles.includes(d))
      figures.orphansSurvivingStartup += survived.length
      figures.tempFilesSurvivingStartup += tmpEntries(ws.dataDir).temps.filter(
        (t) => !t.startsWith(`${server.pid}.`),
      ).length

      await settled(90_000, server)
      figures.restartToSettledMs.push(Date.now() - restartAt)

      const verifyAt = Date.now()
      const verify = await cli(['verify', '--json'], env)
      figures.verifyMs.push(Date.now() - verifyAt)
      const report = JSON.parse(verify.stdout) as { corrupt: unknown[]; checked: number }
      figures.corruptBlobsFound += report.corrupt.length

      const s = snapshot(ws.dataDir, origin.names)
      const blobs = new Set(blobDigests(ws.dataDir))
      const rows = new Set(s.bundles)
      const missing = s.bundles.filter((d) => !blobs.has(d))
      const readyMissing = s.versions.filter(
        (v) => v.status === 'ready' && (v.digest === null || !rows.has(v.digest)),
      )
      figures.rowsPointingToMissingBlobs += missing.length + readyMissing.length
      const readyKeys = s.versions
        .filter((v) => v.status === 'ready')
        .map((v) => `${v.template}@${v.commit}`)
      const dups = readyKeys.length - new Set(readyKeys).size
      const stuck = s.jobs.filter((j) => j.state === 'queued' || j.state === 'running')
      const unindexed = [...blobs].filter((d) => !rows.has(d))

      const context = `round ${i} (${mode}, landed ${where}, seed ${SEED})`
      expect(verify.code, `${context}: ${verify.stdout}${verify.stderr}`).toBe(0)
      expect(report.corrupt, context).toEqual([])
      expect(survived, context).toEqual([])
      expect(unindexed, context).toEqual([])
      expect(missing, context).toEqual([])
      expect(readyMissing, context).toEqual([])
      expect(dups, context).toBe(0)
      expect(stuck, context).toEqual([])
      expect(s.current, context).toEqual(await branchHeads(origin.repos))
      figures.duplicateReadyVersions += dups
      figures.jobsLeftQueuedOrRunning += stuck.length
    }

    const end = snapshot(ws.dataDir, origin.names)
    figures.readyVersions = end.versions.filter((v) => v.status === 'ready').length
    figures.jobs = end.jobs.length
    figures.jobsFailed = end.jobs.filter((j) => j.state === 'failed').length
    figures.archiveDownloads = origin.gitea.counters.archiveDownloads
    figures.elapsedMs = Date.now() - started
    // Every failed job was superseded by a queued one for its template (the queued one ran).
    expect(
      end.jobs.filter((j) => j.state === 'failed' && j.lastErrorCode !== 'INTERRUPTED'),
    ).toEqual([])
    await server.kill('SIGTERM')

    const path = await writeArtifact('crash.json', figures)
    const ms = figures.restartToSettledMs
    console.log(
      `crash: ingests=${INGESTS} kills=${figures.kills} restarts=${figures.restarts} ` +
        `landed=${JSON.stringify(figures.landed)} missed=${figures.missedKillPoint} ` +
        `corrupt=${figures.corruptBlobsFound} orphansLeft=${figures.orphansLeftByKills} ` +
        `(max ${figures.maxOrphansAfterOneKill}/kill) orphansSurvived=${figures.orphansSurvivingStartup} ` +
        `tempsLeft=${figures.tempFilesLeftByKills} tempsSurvived=${figures.tempFilesSurvivingStartup} ` +
        `missingBlobs=${figures.rowsPointingToMissingBlobs} dupReady=${figures.duplicateReadyVersions} ` +
        `stuckJobs=${figures.jobsLeftQueuedOrRunning} ready=${figures.readyVersions} jobs=${figures.jobs} ` +
        `restart→settled max=${Math.max(...ms)}ms elapsed=${figures.elapsedMs}ms → ${path}`,
    )
    expect(figures.maxOrphansAfterOneKill).toBeLessThanOrEqual(1)
  },
  pick(150_000, 900_000),
)
