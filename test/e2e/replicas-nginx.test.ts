// Three replicas as real processes (each its own data directory and port, peers over
// ASSET_CACHE_PEERS), Debian's nginx in front configured from deploy/nginx/asset-cache.conf, and
// the test Gitea: a push reaches all three, any replica serves any digest, a replica killed in a
// boot storm costs no boot and converges when it comes back, a manifest pin holds everywhere.
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runBootStorm } from '../support/boot-storm.js'
import { push, sendWebhook } from '../support/gitea/index.js'
import { type NginxFront, startNginxFront } from '../support/nginx-front.js'
import { freePorts } from '../support/ports.js'
import { type ReplicaSet, startReplicaSet } from '../support/replica-set.js'
import { type Stack, startStack } from '../support/stack.js'
import { until } from '../support/wait.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const GITEA_TOKEN = 'gitea-read-token'
const SECRET = 'replica-hook-secret'
const TOKEN = 'replica-read-token'
const INDEX = 'application/vnd.oci.image.index.v1+json'

let stack: Stack
let set: ReplicaSet
let front: NginxFront
const heads: string[] = []

const auth = { authorization: `Bearer ${TOKEN}` }
const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`
const url = (i: number) => set.urls[i]!

async function get(base: string, path: string, headers: Record<string, string> = auth) {
  const res = await request(`${base}${path}`, { headers })
  const body = Buffer.from(await res.body.arrayBuffer())
  return { status: res.statusCode, headers: res.headers, body }
}

async function resolved(base: string): Promise<{ digest: string; commit: string } | null> {
  const r = await get(base, '/v1/templates/seo')
  return r.status === 200
    ? (JSON.parse(r.body.toString()) as { digest: string; commit: string })
    : null
}

async function ready(i: number): Promise<boolean> {
  try {
    return (await get(url(i), '/readyz', {})).status === 200
  } catch {
    return false
  }
}

/** Pushes `content` as prompts/p.md and delivers the push to `base`; resolves with the new head. */
async function pushAndDeliver(base: string, content: string, headers?: Record<string, string>) {
  const payload = await push(stack.repo, { 'prompts/p.md': content })
  const sent = await sendWebhook(`${base}/hooks/gitea`, {
    secret: SECRET,
    event: 'push',
    payload,
    ...(headers ? { headers } : {}),
  })
  expect(sent.status).toBe(202)
  heads.push(payload.after)
  return payload.after
}

function writeManifest(pin?: string) {
  const t = { name: 'seo', repo: stack.repo.fullName, ref: 'main', ...(pin ? { pin } : {}) }
  writeFileSync(stack.templatesFile, JSON.stringify({ workspace_templates: [t] }))
}

beforeAll(async () => {
  stack = await startStack({
    repos: [{ name: 'seo', files: { 'config.yaml': 'name: seo\n', 'prompts/p.md': 'first\n' } }],
    tokens: { gitea: GITEA_TOKEN },
    serve: false,
  })
  const ports = await freePorts(4)
  set = await startReplicaSet({
    dir: stack.dir,
    ports: ports.slice(0, 3),
    manifest: stack.templatesFile,
    gitea: { url: stack.gitea.url, token: GITEA_TOKEN },
    readToken: TOKEN,
    webhookSecret: SECRET,
  })
  await until(async () => (await Promise.all([0, 1, 2].map(ready))).every(Boolean), {
    timeoutMs: 30_000,
  })
  front = await startNginxFront(
    join(stack.dir, 'nginx'),
    ports[3]!,
    ports.slice(0, 3).map((p) => `127.0.0.1:${p}`),
  )
  const first = await resolved(url(0))
  heads.push(first!.commit)
}, 90_000)

afterAll(async () => {
  await front?.stop()
  await set?.stop()
  await stack?.stop()
})

describe('three replicas behind nginx', () => {
  it('a push delivered through nginx is served by all three in seconds, identically', async () => {
    const after = await pushAndDeliver(front.url, 'second\n')
    // The next reconcile is 5 minutes away (the default interval; the start-up one is done), so
    // only the forwarded delivery can meet this deadline. Typically well under a second; 10 s
    // leaves room for a loaded CI machine.
    const sent = Date.now()
    await until(
      async () =>
        (await Promise.all([0, 1, 2].map((i) => resolved(url(i))))).every(
          (r) => r?.commit === after,
        ),
      { timeoutMs: 10_000, what: 'all three replicas to serve the pushed commit' },
    )
    console.log(`replicas: all three serve the push ${Date.now() - sent} ms after the webhook`)
    const views = await Promise.all([0, 1, 2].map((i) => resolved(url(i))))
    const digest = views[0]!.digest
    expect(views.map((v) => v!.digest)).toEqual([digest, digest, digest])
    const bundles = await Promise.all([0, 1, 2].map((i) => get(url(i), `/v1/bundles/${digest}`)))
    for (const b of bundles) {
      expect(b.status).toBe(200)
      expect(sha256(b.body)).toBe(digest)
      expect(b.body.equals(bundles[0]!.body)).toBe(true)
    }
    const oci = await Promise.all(
      [0, 1, 2].map((i) =>
        get(url(i), '/v2/templates/seo/manifests/latest', { ...auth, accept: INDEX }),
      ),
    )
    const manifests = oci.map((m) => m.headers['docker-content-digest'])
    expect(oci.map((m) => m.status)).toEqual([200, 200, 200])
    expect(new Set(manifests).size).toBe(1)
  }, 30_000)

  it('resolve on one, download from each other, also a digest only one replica has', async () => {
    for (let i = 0; i < 3; i++) {
      const { digest } = (await resolved(url(i)))!
      for (const j of [0, 1, 2].filter((j) => j !== i)) {
        const b = await get(url(j), `/v1/bundles/${digest}`)
        expect([b.status, sha256(b.body)]).toEqual([200, digest])
      }
    }
    // Marked as forwarded, a delivery to replica 0 goes no further: only it has the new version.
    const after = await pushAndDeliver(url(0), 'third, on one replica\n', {
      'x-asset-cache-forwarded': '1',
    })
    await until(async () => (await resolved(url(0)))?.commit === after)
    const { digest } = (await resolved(url(0)))!
    for (const j of [1, 2]) {
      expect((await resolved(url(j)))?.digest).not.toBe(digest)
      const b = await get(url(j), `/v1/bundles/${digest}`)
      expect([b.status, sha256(b.body)]).toEqual([200, digest])
    }
    const viaFront = await get(front.url, `/v1/bundles/${digest}`)
    expect([viaFront.status, sha256(viaFront.body)]).toEqual([200, digest])
  }, 30_000)

  it('kill -9 of one replica in a boot storm through nginx fails no boot; it converges on restart', async () => {
    const boots = 60
    let killed: Promise<void> | null = null
    const storm = await runBootStorm(front.url, {
      template: 'seo',
      boots,
      concurrency: 6,
      headers: auth,
      onBoot: (done) => {
        if (done === boots / 3 && !killed) killed = set.replicas[1]!.kill()
      },
    })
    await killed
    set.replicas[1] = null
    expect({ boots: storm.done, failures: storm.failures }).toEqual({ boots, failures: [] })

    // While it is down, a push reaches the two others (through nginx, then forwarded).
    const after = await pushAndDeliver(front.url, 'fourth, while one is down\n')
    await until(async () =>
      (await Promise.all([0, 2].map((i) => resolved(url(i))))).every((r) => r?.commit === after),
    )
    await set.start(1)
    await until(() => ready(1), { timeoutMs: 20_000 })
    // Ready means converged: it serves the head it missed, as the others do.
    const views = await Promise.all([0, 1, 2].map((i) => resolved(url(i))))
    expect(views.map((v) => v?.commit)).toEqual([after, after, after])
    expect(new Set(views.map((v) => v?.digest)).size).toBe(1)
  }, 90_000)

  it('a manifest pin holds on all three after a reload', async () => {
    const pinned = heads[0]!
    writeManifest(pinned)
    const run = promisify(execFile)
    await Promise.all(
      [0, 1, 2].map((i) =>
        run(process.execPath, ['--import', 'tsx', join(ROOT, 'src/main.ts'), 'templates', 'sync'], {
          cwd: ROOT,
          env: {
            PATH: process.env.PATH,
            ASSET_CACHE_DATA_DIR: set.env(i).ASSET_CACHE_DATA_DIR!,
            ASSET_CACHE_TEMPLATES: stack.templatesFile,
          },
        }),
      ),
    )
    const views = await Promise.all([0, 1, 2].map((i) => get(url(i), '/v1/templates/seo')))
    for (const v of views) {
      expect(v.status).toBe(200)
      expect(JSON.parse(v.body.toString())).toMatchObject({ commit: pinned, pinned: true })
    }
    expect((await resolved(front.url))?.commit).toBe(pinned)
  }, 60_000)
})
