// Memory of the webhook receiver under Gitea's largest deliveries: 20 concurrent, signed, 5 MiB
// push bodies (Gitea does not cap a push payload: every added path of up to five commits plus the
// head commit) to `asset-cache serve` in a child process. The child's peak RSS (VmHWM, reset just
// before the burst through /proc/<pid>/clear_refs) is compared with its idle RSS measured in the
// same run, after one delivery of the same size. Figures: test-artifacts/reliability/webhook-memory.json.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { afterAll, beforeAll, expect, it } from 'vitest'
import {
  buildWebhookRequest,
  type FakeGitea,
  type GitRepo,
  pushPayload,
  startFakeGitea,
} from '../support/gitea/index.js'
import { until } from '../support/wait.js'
import { pick } from './mode.js'
import {
  GITEA_TOKEN,
  makeRepos,
  type Served,
  startServe,
  WEBHOOK_SECRET,
  writeArtifact,
  writeManifest,
} from './rel-server.js'

const MIB = 1024 * 1024
const BODY_BYTES = 5 * MIB
const CONCURRENT = 20
const ROUNDS = pick(1, 3)

let gitea: FakeGitea
let repo: GitRepo
let work: string
let served: Served

beforeAll(async () => {
  gitea = await startFakeGitea({ tokens: [GITEA_TOKEN] })
  ;[repo] = (await makeRepos(gitea, 1, 'memory')) as [GitRepo]
  work = await mkdtemp(join(tmpdir(), 'asset-cache-webhook-memory-'))
  served = await startServe({
    dataDir: join(work, 'data'),
    templatesFile: await writeManifest(work, [repo]),
    giteaUrl: gitea.url,
  })
})

afterAll(async () => {
  await served?.kill()
  await gitea?.stop()
  await rm(work, { recursive: true, force: true })
})

/** kB figures of /proc/<pid>/status, in bytes. */
async function memory(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1])
  return { rss: kb('VmRSS') * 1024, peak: kb('VmHWM') * 1024 }
}

/**
 * A push as Gitea sends it for commits that add thousands of generated files: the real payload of
 * the repository's head commit, its five listed commits and head_commit each carrying their share
 * of added paths, grown until the JSON Gitea writes (MarshalIndent) is 5 MiB.
 */
async function bigPush(): Promise<{ headers: Record<string, string>; body: string }> {
  const payload = await pushPayload(repo)
  const base = payload.commits[0]!
  const paths = (commit: number, n: number) =>
    Array.from(
      { length: n },
      (_, i) => `assets/generated/batch-${commit}/file-${String(i).padStart(6, '0')}.txt`,
    )
  let perCommit = 1_000
  for (;;) {
    const commits = Array.from({ length: 5 }, (_, c) => ({ ...base, added: paths(c, perCommit) }))
    const candidate = { ...payload, commits, head_commit: commits[0]!, total_commits: 5 }
    const built = buildWebhookRequest({ secret: WEBHOOK_SECRET, event: 'push', payload: candidate })
    const size = Buffer.byteLength(built.body)
    if (size >= BODY_BYTES) return { headers: built.headers, body: built.body }
    perCommit = Math.ceil((perCommit * BODY_BYTES) / size) + 10
  }
}

async function deliver(url: string, delivery: { headers: Record<string, string>; body: string }) {
  const id = crypto.randomUUID()
  const res = await request(`${url}/hooks/gitea`, {
    method: 'POST',
    headers: { ...delivery.headers, 'X-Gitea-Delivery': id, 'X-GitHub-Delivery': id },
    body: delivery.body,
    headersTimeout: 60_000,
    bodyTimeout: 60_000,
  })
  await res.body.text()
  return res.statusCode
}

it(
  `holds ${CONCURRENT} concurrent 5 MiB push deliveries within a bound of its idle RSS`,
  async () => {
    const delivery = await bigPush()
    expect(Buffer.byteLength(delivery.body)).toBeGreaterThanOrEqual(BODY_BYTES)
    // A delivery of the same size first, so the baseline is a warmed-up process.
    expect([200, 202]).toContain(await deliver(served.url, delivery))
    await until(async () => (await memory(served.pid)).rss > 0)
    const rounds: { baselineRss: number; peakRss: number; statuses: number[] }[] = []
    for (let round = 0; round < ROUNDS; round++) {
      const baselineRss = (await memory(served.pid)).rss
      // Resets VmHWM to the current RSS (Linux ≥ 4.0), so it records this burst's peak.
      await writeFile(`/proc/${served.pid}/clear_refs`, '5')
      const statuses = await Promise.all(
        Array.from({ length: CONCURRENT }, () => deliver(served.url, delivery)),
      )
      const { peak } = await memory(served.pid)
      rounds.push({ baselineRss, peakRss: peak, statuses })
    }
    const inFlight = CONCURRENT * Buffer.byteLength(delivery.body)
    const figures = {
      bodyBytes: Buffer.byteLength(delivery.body),
      concurrent: CONCURRENT,
      rounds: rounds.map((r) => ({
        baselineMiB: Math.round((r.baselineRss / MIB) * 10) / 10,
        peakMiB: Math.round((r.peakRss / MIB) * 10) / 10,
        growthMiB: Math.round(((r.peakRss - r.baselineRss) / MIB) * 10) / 10,
        growthPerBodyByte: Math.round(((r.peakRss - r.baselineRss) / inFlight) * 100) / 100,
      })),
    }
    const path = await writeArtifact('webhook-memory.json', figures)
    console.log(`webhook memory: ${JSON.stringify(figures)} → ${path}`)

    for (const r of rounds) {
      for (const status of r.statuses) expect([200, 202]).toContain(status)
      // Every body is read whole before its signature is checked, so the bodies in flight are held
      // at once, each as the bytes read and, once verified, the text and the parsed payload, plus
      // whatever garbage the collector has not reached yet: 2.0–2.9× the bytes in flight on this
      // suite's machine. Bodies kept after their answer, or copied again, break the bound.
      expect(r.peakRss - r.baselineRss).toBeLessThan(4 * inFlight)
    }
  },
  pick(120_000, 300_000),
)
