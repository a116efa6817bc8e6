// Soak: `asset-cache serve` (a real child process) under mixed load for a while — pushes with
// their webhooks, reconciles (every 2 s), provisioner boots (resolve + download + verify +
// materialize), admin reads (GET /v1/admin/templates) and garbage collection (POST /v1/admin/gc,
// dry runs and real ones, with a small store budget) — sampling the child's RSS
// (/proc/<pid>/status VmRSS), its open fds (/proc/<pid>/fd) and the SQLite WAL size every second.
// None may grow without bound: the maximum over the last third of the run is compared with the
// maximum over the first third (a generous factor), and each has an absolute cap. Admin calls are
// made only if the server answers them (not 404); otherwise skipped with a note.
// Figures: test-artifacts/reliability/soak.json.
import { readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { request } from 'undici'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { pull } from '../../src/index.js'
import { push } from '../support/gitea/index.js'
import { until } from '../support/wait.js'
import { FULL, pick } from './mode.js'
import {
  ADMIN_TOKEN,
  branchHeads,
  fileSize,
  noise,
  percentile,
  READ_TOKEN,
  type RelOrigin,
  type Served,
  seeded,
  servesHeads,
  snapshot,
  startOrigin,
  WEBHOOK_SECRET,
  writeArtifact,
} from './rel-server.js'

const DURATION_MS = pick(20_000, 600_000)
const TEMPLATES = 4
const MiB = 1024 * 1024
const CAPS = { rssBytes: 512 * MiB, fds: 256, walBytes: 64 * MiB }

let origin: RelOrigin
let dataDir: string
let server: Served

beforeAll(async () => {
  origin = await startOrigin(TEMPLATES, 'soak')
  const ws = await origin.workspace('soak')
  dataDir = ws.dataDir
  server = await origin.serve(ws, {
    env: {
      ASSET_CACHE_RECONCILE_INTERVAL: '2s',
      ASSET_CACHE_STORE_BUDGET: '2MiB',
      ASSET_CACHE_KEEP_VERSIONS: '2',
    },
    keepLines: 50,
  })
}, 60_000)

afterAll(() => origin?.stop())

interface Sample {
  t: number
  rss: number
  fds: number
  wal: number
}

function sample(pid: number): Sample | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0)
    return {
      t: Date.now(),
      rss: kb * 1024,
      fds: readdirSync(`/proc/${pid}/fd`).length,
      wal: fileSize(join(dataDir, 'index.db-wal')),
    }
  } catch {
    return null
  }
}

const admin = (method: 'GET' | 'POST', path: string, body?: unknown) =>
  request(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })

/** Whether the server answers an admin route (anything but 404). */
async function answers(method: 'GET' | 'POST', path: string, body?: unknown): Promise<boolean> {
  const res = await admin(method, path, body)
  await res.body.dump()
  return res.statusCode !== 404
}

it(
  `holds RSS, fds and the WAL steady under ${DURATION_MS / 1000}s of mixed load`,
  async () => {
    const random = seeded(0x50a4)
    const names = origin.names
    const want = await branchHeads(origin.repos)
    await until(() => servesHeads(snapshot(dataDir, names), want), { timeoutMs: 30_000 })

    const adminReads = await answers('GET', '/v1/admin/templates')
    const adminGc = await answers('POST', '/v1/admin/gc', { dryRun: true })
    const notes: string[] = []
    if (!adminReads) notes.push('GET /v1/admin/templates answered 404: admin reads skipped')
    if (!adminGc) notes.push('POST /v1/admin/gc answered 404: gc skipped')
    for (const n of notes) console.log(`soak: ${n}`)

    const counts = {
      pushes: 0,
      webhooks: 0,
      webhookErrors: 0,
      boots: 0,
      bootErrors: 0,
      adminReads: 0,
      adminReadErrors: 0,
      gcRuns: 0,
      gcErrors: 0,
    }
    const bootErrors: string[] = []
    const bootMs: number[] = []
    const samples: Sample[] = []
    const end = Date.now() + DURATION_MS
    const running = () => Date.now() < end

    const sampler = (async () => {
      while (running()) {
        const s = sample(server.pid)
        if (s) samples.push(s)
        await sleep(1_000)
      }
    })()
    const pusher = (async () => {
      let i = 0
      while (running()) {
        const repo = origin.repos[i++ % origin.repos.length]!
        const payload = await push(repo, {
          'prompts/data.bin': noise(random, 16 * 1024 + Math.floor(random() * 48 * 1024)),
        })
        counts.pushes++
        // Some pushes go unannounced: the reconciler must find them.
        if (random() < 0.8) {
          const res = await origin.gitea
            .sendWebhook(`${server.url}/hooks/gitea`, {
              secret: WEBHOOK_SECRET,
              event: 'push',
              payload,
            })
            .catch(() => null)
          if (res?.status === 202 || res?.status === 200) counts.webhooks++
          else counts.webhookErrors++
        }
        await sleep(pick(700, 1_000))
      }
    })()
    const booter = async (seed: number) => {
      let n = seed
      while (running()) {
        const repo = origin.repos[n++ % origin.repos.length]!
        const into = await mkdtemp(join(tmpdir(), 'asset-cache-soak-boot-'))
        const started = performance.now()
        try {
          await pull(server.url, repo.name, { into, token: READ_TOKEN })
          counts.boots++
          bootMs.push(performance.now() - started)
        } catch (err) {
          counts.bootErrors++
          if (bootErrors.length < 10) bootErrors.push(String((err as Error).message))
        } finally {
          await rm(into, { recursive: true, force: true })
        }
        await sleep(50)
      }
    }
    const adminLoop = (async () => {
      let tick = 0
      while (running()) {
        if (adminReads) {
          const res = await admin('GET', '/v1/admin/templates').catch(() => null)
          await res?.body.dump()
          if (res?.statusCode === 200) counts.adminReads++
          else counts.adminReadErrors++
        }
        if (adminGc && tick % 10 === 0) {
          const res = await admin('POST', '/v1/admin/gc', { dryRun: tick % 20 === 0 }).catch(
            () => null,
          )
          await res?.body.dump()
          if (res && res.statusCode < 300) counts.gcRuns++
          else counts.gcErrors++
        }
        tick++
        await sleep(500)
      }
    })()
    await Promise.all([sampler, pusher, booter(0), booter(1), adminLoop])

    const third = Math.max(1, Math.floor(samples.length / 3))
    const first = samples.slice(0, third)
    const last = samples.slice(-third)
    const max = (xs: Sample[], k: keyof Sample) => Math.max(...xs.map((s) => s[k]))
    const figures = {
      mode: FULL ? 'full' : 'quick',
      durationMs: DURATION_MS,
      notes,
      counts,
      bootErrors,
      bootMsP50: Math.round(percentile(bootMs, 50)),
      bootMsP99: Math.round(percentile(bootMs, 99)),
      samples: samples.length,
      rss: { firstThirdMax: max(first, 'rss'), lastThirdMax: max(last, 'rss') },
      fds: { firstThirdMax: max(first, 'fds'), lastThirdMax: max(last, 'fds') },
      wal: { firstThirdMax: max(first, 'wal'), lastThirdMax: max(last, 'wal') },
      caps: CAPS,
      series: samples.map((s) => [s.t - samples[0]!.t, s.rss, s.fds, s.wal]),
    }
    const alive = server.child.exitCode === null && server.child.signalCode === null
    const path = await writeArtifact('soak.json', figures)
    const mb = (b: number) => `${Math.round((b / MiB) * 10) / 10}MiB`
    console.log(
      `soak: ${DURATION_MS / 1000}s pushes=${counts.pushes} webhooks=${counts.webhooks} ` +
        `boots=${counts.boots} bootErrors=${counts.bootErrors} p50=${figures.bootMsP50}ms ` +
        `p99=${figures.bootMsP99}ms adminReads=${adminReads ? counts.adminReads : 'skipped'} ` +
        `gc=${adminGc ? counts.gcRuns : 'skipped'} rss ${mb(figures.rss.firstThirdMax)}→` +
        `${mb(figures.rss.lastThirdMax)} fds ${figures.fds.firstThirdMax}→${figures.fds.lastThirdMax} ` +
        `wal ${mb(figures.wal.firstThirdMax)}→${mb(figures.wal.lastThirdMax)} → ${path}`,
    )

    // Caught up at the end: every template reaches its head (webhooks or reconcile).
    const heads = await branchHeads(origin.repos)
    await until(() => servesHeads(snapshot(dataDir, names), heads), { timeoutMs: 30_000 })
    await server.kill('SIGTERM')

    expect(alive).toBe(true)
    expect(samples.length).toBeGreaterThan(DURATION_MS / 1000 / 2)
    expect(counts.bootErrors, bootErrors.join('\n')).toBe(0)
    expect(counts.boots).toBeGreaterThan(10)
    expect(counts.adminReadErrors).toBe(0)
    expect(counts.gcErrors).toBe(0)
    expect(figures.rss.lastThirdMax).toBeLessThan(CAPS.rssBytes)
    expect(figures.rss.lastThirdMax).toBeLessThan(figures.rss.firstThirdMax * 1.5 + 32 * MiB)
    expect(figures.fds.lastThirdMax).toBeLessThan(CAPS.fds)
    expect(figures.fds.lastThirdMax).toBeLessThanOrEqual(figures.fds.firstThirdMax + 16)
    expect(figures.wal.lastThirdMax).toBeLessThan(CAPS.walBytes)
    expect(figures.wal.lastThirdMax).toBeLessThanOrEqual(
      Math.max(figures.wal.firstThirdMax * 2, 8 * MiB),
    )
  },
  DURATION_MS + 90_000,
)
