// Disk faults: the data directory becomes full or read-only while `asset-cache serve` (a real
// child process) ingests a push. Two ways to cause it:
//   - a preload (rel-fs-faults.ts) that makes fs writes under DATA_DIR throw ENOSPC or EROFS while
//     a control file exists: blob, spool and temp-file writes, fsync, link, rename (not SQLite);
//   - a real small tmpfs as DATA_DIR (root may mount here): filled up with a filler file, then
//     remounted read-only, which also hits SQLite. Skipped with a note where mounting is refused.
// Checked for each: the job fails cleanly (retried, or recorded failed; never rejected as the
// content's fault), nothing half-written becomes visible (no blob without an index row, verify
// finds nothing corrupt, temp files cleaned), boots keep getting the previous bundle during the
// fault, and once it clears the template reaches its head. Figures: test-artifacts/reliability/disk.json.
import { execFileSync } from 'node:child_process'
import { statfsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { pull } from '../../src/index.js'
import { cli } from '../support/cli.js'
import { push } from '../support/gitea/index.js'
import { killServerProcesses } from '../support/server-process.js'
import { until } from '../support/wait.js'
import { FULL, pick } from './mode.js'
import {
  blobDigests,
  branchHeads,
  noise,
  READ_TOKEN,
  type RelOrigin,
  ROOT,
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

const HOLD_MS = pick(1_000, 5_000)
const RECONCILE = '2s'
const PRELOAD = pathToFileURL(join(ROOT, 'test/reliability/rel-fs-faults.ts')).href

/** Whether this machine lets us mount a tmpfs (root in a privileged container, or a VM). */
function canMountTmpfs(): { ok: boolean; why: string } {
  const probe = join(tmpdir(), `asset-cache-tmpfs-probe-${process.pid}`)
  try {
    execFileSync('mkdir', ['-p', probe])
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'pipe' })
    execFileSync('umount', [probe], { stdio: 'pipe' })
    return { ok: true, why: '' }
  } catch (err) {
    return { ok: false, why: String((err as { stderr?: Buffer }).stderr ?? err).trim() }
  } finally {
    execFileSync('rm', ['-rf', probe])
  }
}
const TMPFS = canMountTmpfs()

let origin: RelOrigin
const mounts: string[] = []
const results: Record<string, unknown>[] = []
const random = seeded(0xd15c)

beforeAll(async () => {
  origin = await startOrigin(2, 'disk')
})

afterAll(async () => {
  await killServerProcesses()
  for (const m of mounts) {
    try {
      execFileSync('umount', ['-l', m], { stdio: 'pipe' })
    } catch {}
  }
  await origin?.stop()
  await writeArtifact('disk.json', {
    mode: FULL ? 'full' : 'quick',
    tmpfs: TMPFS.ok ? 'mounted' : `skipped: ${TMPFS.why}`,
    scenarios: results,
  })
  const line = results
    .map((r) =>
      r.skipped
        ? `${r.scenario}:skipped`
        : `${r.scenario}:hits=${r.faultHits ?? '-'},job=${r.jobOutcome},boots=${r.bootsOk}/${r.boots},` +
          `orphans=${r.unindexedBlobs},temps=${r.tempsAfterRecovery},rec=${r.recoveryMs}ms`,
    )
    .join(' ')
  console.log(`disk: ${line}${TMPFS.ok ? '' : ` tmpfs=skipped (${TMPFS.why})`}`)
})

interface Setup extends Workspace {
  server: Served
}

async function setup(options: { mount?: string; preload?: boolean; control?: string }) {
  const ws = await origin.workspace('disk')
  const { dataDir } = ws
  await mkdir(dataDir, { recursive: true })
  if (options.mount) {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${options.mount}`, 'tmpfs', dataDir])
    mounts.push(dataDir)
  }
  const env: Record<string, string> = { ASSET_CACHE_RECONCILE_INTERVAL: RECONCILE }
  if (options.control) {
    env.REL_FS_FAULT_FILE = options.control
    env.REL_FS_FAULT_ROOT = dataDir
  }
  const server = await origin.serve(ws, { env, ...(options.preload ? { preload: [PRELOAD] } : {}) })
  const want = await branchHeads(origin.repos)
  await until(() => servesHeads(snapshot(dataDir, origin.names), want), { timeoutMs: 30_000 })
  return { ...ws, server, env }
}

/** Boots in a loop (fresh workspace each) until stopped; records digests and errors. */
function bootLoop(server: Served, template: string) {
  const state = { stop: false, ok: 0, digests: new Set<string>(), errors: [] as string[] }
  const done = (async () => {
    while (!state.stop) {
      const into = await mkdtemp(join(tmpdir(), 'asset-cache-disk-boot-'))
      try {
        const r = await pull(server.url, template, { into, token: READ_TOKEN })
        state.ok++
        state.digests.add(r.digest)
      } catch (err) {
        state.errors.push(`${(err as { code?: string }).code ?? ''} ${(err as Error).message}`)
      } finally {
        await rm(into, { recursive: true, force: true })
      }
      await sleep(20)
    }
  })()
  const stop = async () => {
    state.stop = true
    await done
  }
  return { state, stop }
}

/**
 * One fault: apply, push a commit (with a payload large enough that every write path runs), wait
 * until the job has met the fault, hold it while boots go on, clear it, and wait for the head.
 */
async function scenario(
  name: string,
  s: Setup & { env: Record<string, string> },
  apply: () => Promise<void>,
  clear: () => Promise<void>,
  hitsFile?: string,
) {
  const repo = origin.repos[0]!
  const before = snapshot(s.dataDir, origin.names)
  const oldDigest = before.currentDigest[repo.name]!
  let exited: number | null | undefined
  void s.server.exited.then((code) => {
    exited = code
  })
  // A run that met the fault, as serve logged it: on a full disk the index may refuse to record
  // the run's error too (the row stays running until it can), so the log can be the only witness.
  let logged = false
  const witness = (entry: Record<string, unknown>) => {
    if (
      entry.code === 'STORE_WRITE_FAILED' ||
      entry.msg === "could not record the job's outcome; will record it again"
    ) {
      logged = true
    }
  }
  s.server.onLine.add(witness)
  const boots = bootLoop(s.server, repo.name)
  await sleep(200)
  const jobsBefore = Math.max(0, ...before.jobs.map((j) => j.id))
  await apply()
  const payload = await push(repo, {
    'prompts/data.bin': noise(random, 512 * 1024),
    'config.yaml': `name: ${repo.name}\nscenario: ${name}\n`,
  })
  const hook = await origin.gitea
    .sendWebhook(`${s.server.url}/hooks/gitea`, { secret: WEBHOOK_SECRET, event: 'push', payload })
    .then((r) => r.status)
    .catch((err: Error) => err.message)

  // The job met the fault: a run of it ended in error (retry queued or failed), or a version failed.
  const jobErrored = () => {
    const now = snapshot(s.dataDir, origin.names)
    const mine = now.jobs.filter((j) => j.template === repo.name && j.id > jobsBefore)
    return (
      logged ||
      mine.some((j) => j.lastErrorCode !== null && j.state !== 'running') ||
      now.versions.some((v) => v.commit === payload.after && v.status !== 'ready')
    )
  }
  const met = await until(jobErrored, { timeoutMs: 20_000, everyMs: 50 })
    .then(() => true)
    .catch(() => false)
  await sleep(HOLD_MS)
  const during = snapshot(s.dataDir, origin.names)
  const duringBlobs = blobDigests(s.dataDir)
  const tempsDuring = tmpEntries(s.dataDir)
  const hitLines = hitsFile
    ? (await readFile(hitsFile, 'utf8').catch(() => '')).split('\n').filter(Boolean)
    : null
  const faultHits = hitLines?.length ?? null

  const cleared = Date.now()
  await clear()
  let recoveryMs: number | null = null
  await until(() => snapshot(s.dataDir, origin.names).current[repo.name] === payload.after, {
    timeoutMs: pick(60_000, 150_000),
    everyMs: 50,
  })
    .then(() => {
      recoveryMs = Date.now() - cleared
    })
    .catch(() => {})
  await boots.stop()
  s.server.onLine.delete(witness)
  // A put still in flight (a reconcile that raced the retry to the same commit) owns a temp file
  // until it ends; a leaked one stays forever. So: no temp files once the jobs have settled.
  const settled = () =>
    snapshot(s.dataDir, origin.names).jobs.every(
      (j) => j.state !== 'running' && j.state !== 'queued',
    )
  await until(() => settled() && tmpEntries(s.dataDir).temps.length === 0, {
    timeoutMs: 15_000,
    everyMs: 100,
  }).catch(() => {})

  const after = snapshot(s.dataDir, origin.names)
  const rows = new Set(after.bundles)
  const unindexed = blobDigests(s.dataDir).filter((d) => !rows.has(d))
  const unindexedDuring = duringBlobs.filter((d) => !during.bundles.includes(d))
  const verify = await cli(['verify', '--json'], origin.env(s, s.env))
  const corrupt = (JSON.parse(verify.stdout || '{"corrupt":[]}') as { corrupt: unknown[] }).corrupt
  const mine = after.jobs.filter((j) => j.template === repo.name && j.id > jobsBefore)
  const versions = after.versions.filter((v) => v.commit === payload.after)
  const newDigest = after.currentDigest[repo.name]
  const row = {
    scenario: name,
    webhook: hook,
    faultMet: met,
    faultHits,
    faultSyscalls: hitLines ? [...new Set(hitLines)] : null,
    jobOutcome: mine.map((j) => `${j.state}/${j.attempts}/${j.lastErrorCode ?? '-'}`).join(','),
    versions: versions.map((v) => v.status),
    currentDuringFault: during.currentDigest[repo.name] === oldDigest ? 'previous' : 'moved',
    unindexedBlobsDuring: unindexedDuring.length,
    unindexedBlobs: unindexed.length,
    tempsDuringFault: tempsDuring.temps.length,
    spoolsDuringFault: tempsDuring.spools.length,
    tempsAfterRecovery: tmpEntries(s.dataDir).temps.length,
    corrupt: corrupt.length,
    boots: boots.state.ok + boots.state.errors.length,
    bootsOk: boots.state.ok,
    bootErrors: boots.state.errors.slice(0, 5),
    bootDigests: [...boots.state.digests].map((d) =>
      d === oldDigest ? 'previous' : d === newDigest ? 'new' : d,
    ),
    recoveryMs,
  }
  results.push(row)
  console.log(`disk scenario ${JSON.stringify(row)}`)

  // First: the fault must not have taken the server down (its crash said here, if it did).
  const lastWords = `${s.server.lines.slice(-5).join('\n')}\n${s.server.stderr()}`
  expect(exited, `${name}: serve exited with ${exited}:\n${lastWords}`).toBeUndefined()
  expect(met, `${name}: the job never met the fault`).toBe(true)
  if (faultHits !== null) expect(faultHits, `${name}: no injected failure`).toBeGreaterThan(0)
  expect(versions.filter((v) => v.status === 'rejected')).toEqual([])
  // Our disk's fault, named as such: never GITEA_UNAVAILABLE or INTERNAL.
  for (const j of mine) expect([null, 'STORE_WRITE_FAILED']).toContain(j.lastErrorCode)
  expect(row.currentDuringFault).toBe('previous')
  expect(unindexedDuring).toEqual([])
  expect(unindexed).toEqual([])
  expect(corrupt).toEqual([])
  expect(verify.code).toBe(0)
  expect(boots.state.errors).toEqual([])
  expect(boots.state.ok).toBeGreaterThan(0)
  for (const d of boots.state.digests) expect([oldDigest, newDigest]).toContain(d)
  expect(recoveryMs, `${name}: the template never reached its head`).not.toBeNull()
  expect(row.tempsAfterRecovery).toBe(0)
  return row
}

it(
  'fs writes failing with ENOSPC, then EROFS (preload): fails cleanly, serves, recovers',
  async () => {
    const controlDir = await origin.tempDir('fsfault')
    const control = join(controlDir, 'fault')
    const s = await setup({ preload: true, control })
    const faults = [
      ['ENOSPC', 'all'],
      ['ENOSPC', 'store'],
      ['EROFS', 'link'],
      ['EROFS', 'all'],
    ] as const
    for (const [code, scope] of faults) {
      await rm(`${control}.hits`, { force: true })
      await scenario(
        `preload-${code}-${scope}`,
        s,
        () => writeFile(control, `${code} ${scope}`),
        () => rm(control, { force: true }),
        `${control}.hits`,
      )
    }
    await s.server.kill('SIGTERM')
  },
  pick(120_000, 400_000),
)

it.skipIf(!TMPFS.ok)(
  'a real tmpfs filled up, then remounted read-only',
  async () => {
    const s = await setup({ mount: '24m' })
    const filler = join(s.dataDir, 'filler')
    await scenario(
      'tmpfs-full',
      s,
      async () => {
        const st = statfsSync(s.dataDir)
        const free = Number(st.bavail) * Number(st.bsize)
        // Leave 64 KiB: less than the bundle, enough for SQLite's next few pages.
        await writeFile(filler, Buffer.alloc(Math.max(0, free - 64 * 1024)))
      },
      () => rm(filler, { force: true }),
    )
    // Linux refuses to remount read-only a filesystem with files open for writing (EBUSY), and the
    // server holds index.db open: a read-only data dir is covered by the preload's EROFS instead.
    let refused: string | null = null
    try {
      execFileSync('mount', ['-o', 'remount,ro', s.dataDir], { stdio: 'pipe' })
      execFileSync('mount', ['-o', 'remount,rw', s.dataDir], { stdio: 'pipe' })
    } catch (err) {
      refused = String((err as { stderr?: Buffer }).stderr ?? err)
        .split('\n')[0]!
        .trim()
    }
    if (refused) {
      results.push({ scenario: 'tmpfs-readonly', skipped: refused })
      console.log(
        `disk: tmpfs read-only remount refused while serving (${refused}); see preload-EROFS`,
      )
    } else {
      await scenario(
        'tmpfs-readonly',
        s,
        async () => {
          execFileSync('mount', ['-o', 'remount,ro', s.dataDir])
        },
        async () => {
          execFileSync('mount', ['-o', 'remount,rw', s.dataDir])
        },
      )
    }
    await s.server.kill('SIGTERM')
  },
  pick(120_000, 400_000),
)
