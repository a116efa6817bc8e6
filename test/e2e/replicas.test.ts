// Replicas over ASSET_CACHE_PEERS, in-process: a delivery verified by one is forwarded to the
// others (which verify it again), and a digest one lacks is filled from a peer, verified, stored.
import { createHash } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningServer } from '../../src/http/server.js'
import { ingestTree } from '../http/read-fixture.js'
import { push, sendWebhook } from '../support/gitea/index.js'
import { freePorts } from '../support/ports.js'
import { type Stack, startStack } from '../support/stack.js'
import { until } from '../support/wait.js'

const GITEA_TOKEN = 'gitea-read-token'
const SECRET = 'hook-secret'
const TOKEN = 'replica-read-token'
const SCOPED = 'docs-only-token'

let stack: Stack
let replicas: RunningServer[] = []
let liar: Server
let liarUrl: string

const auth = (token = TOKEN) => ({ authorization: `Bearer ${token}` })

async function get(base: string, path: string, headers: Record<string, string> = auth()) {
  const res = await request(`${base}${path}`, { headers })
  return { status: res.statusCode, body: Buffer.from(await res.body.arrayBuffer()) }
}

const counter = async (r: RunningServer, name: string, outcome: string) => {
  const metric = await r.metrics.registry.getSingleMetric(name)?.get()
  return metric?.values.find((v) => v.labels.outcome === outcome)?.value ?? 0
}
const fills = (r: RunningServer, outcome: string) =>
  counter(r, 'asset_cache_peer_fills_total', outcome)

beforeAll(async () => {
  stack = await startStack({
    repos: [{ name: 'seo', files: { 'config.yaml': 'name: seo\n' } }],
    templates: [{ name: 'docs', repo: 'acme/docs' }],
    tokens: { gitea: GITEA_TOKEN, webhookSecret: SECRET, read: `${TOKEN},${SCOPED}@docs` },
    server: { jobBackoffBaseMs: 20 },
    serve: false,
  })
  // A peer that answers every digest with bytes that are not it.
  liar = createServer((_req, res) => res.end('not the bytes you asked for'))
  await new Promise<void>((r) => liar.listen(0, '127.0.0.1', r))
  liarUrl = `http://127.0.0.1:${(liar.address() as import('node:net').AddressInfo).port}`
  // The last port stays closed: a peer that is down.
  const [dead, ...ports] = await freePorts(4)
  const peers = [
    liarUrl,
    `http://127.0.0.1:${dead}`,
    ...ports.map((p) => `http://127.0.0.1:${p}`),
  ].join(',')
  for (const port of ports) {
    const env = { ASSET_CACHE_PORT: String(port), ASSET_CACHE_PEERS: peers }
    replicas.push((await stack.serve({ fresh: true, env })).server!)
  }
})

afterAll(async () => {
  await stack.stop()
  replicas = []
  liar.close()
})

const currentCommit = (r: RunningServer) => {
  const t = r.runtime.index.templates.get('seo')
  return t?.currentVersionId ? r.runtime.index.versions.get(t.currentVersionId)?.commit : null
}

describe('delivery fan-out', () => {
  it('forwards a verified push once to every peer, with its delivery id', async () => {
    const payload = await push(stack.repo, { 'prompts/a.md': 'a\n' })
    const sent = await sendWebhook(`${replicas[0]!.url}/hooks/gitea`, {
      secret: SECRET,
      event: 'push',
      payload,
    })
    expect(sent.status).toBe(202)
    const head = (payload as { after: string }).after
    await until(() => replicas.every((r) => currentCommit(r) === head))
    for (const r of replicas.slice(1)) {
      await until(() =>
        r.runtime.index.deliveries.list(10).some((d) => d.deliveryId === sent.deliveryId),
      )
    }
    // The peers did not forward it again: one record per replica.
    for (const r of replicas) {
      const rows = r.runtime.index.deliveries.list(10)
      expect(rows.filter((d) => d.deliveryId === sent.deliveryId)).toHaveLength(1)
    }
  })

  it('a peer that is down gets bounded retries, then counts as failed (its reconcile catches up)', async () => {
    await until(
      async () => (await counter(replicas[0]!, 'asset_cache_peer_forwards_total', 'failed')) === 1,
    )
    // Two replicas and the stub answered.
    expect(await counter(replicas[0]!, 'asset_cache_peer_forwards_total', 'delivered')).toBe(3)
  })

  it('the forwarded mark bypasses nothing: a bad signature is still 401', async () => {
    const payload = await push(stack.repo, { 'prompts/b.md': 'b\n' })
    const sent = await sendWebhook(`${replicas[1]!.url}/hooks/gitea`, {
      secret: 'not-the-secret',
      event: 'push',
      payload,
      headers: { 'x-asset-cache-forwarded': '1' },
    })
    expect(sent.status).toBe(401)
  })
})

describe('peer fill', () => {
  it('serves a digest only one replica has, verified, and stores it', async () => {
    const { digest } = await ingestTree(replicas[2]!.runtime, 'docs', {
      'config.yaml': 'name: docs\n',
      'prompts/only-here.md': 'only on one replica\n',
    })
    const original = await get(replicas[2]!.url, `/v1/bundles/${digest}`)
    expect(original.status).toBe(200)
    const filled = await get(replicas[0]!.url, `/v1/bundles/${digest}`)
    expect(filled.status).toBe(200)
    expect(filled.body.equals(original.body)).toBe(true)
    expect(await replicas[0]!.runtime.store.has(digest)).not.toBeNull()
    expect(replicas[0]!.runtime.index.bundles.files(digest).map((f) => f.path)).toEqual([
      'config.yaml',
      'prompts/only-here.md',
    ])
    expect(await fills(replicas[0]!, 'filled')).toBe(1)
  })

  it('fills OCI blobs too: a layer is stored as the bundle, a config is answered verified', async () => {
    const { digest } = await ingestTree(replicas[2]!.runtime, 'docs', {
      'config.yaml': 'name: docs\noci: true\n',
    })
    const accept = 'application/vnd.oci.image.manifest.v1+json'
    const m = await get(replicas[2]!.url, '/v2/templates/docs/manifests/latest', {
      ...auth(),
      accept,
    })
    expect(m.status).toBe(200)
    const manifest = JSON.parse(m.body.toString()) as {
      config: { digest: string }
      layers: { digest: string }[]
    }
    expect(manifest.layers[0]!.digest).toBe(digest)
    const layer = await get(replicas[1]!.url, `/v2/templates/docs/blobs/${digest}`)
    expect(layer.status).toBe(200)
    expect(`sha256:${createHash('sha256').update(layer.body).digest('hex')}`).toBe(digest)
    expect(replicas[1]!.runtime.index.bundles.get(digest)).not.toBeNull()
    const configDigest = manifest.config.digest
    const config = await get(replicas[1]!.url, `/v2/templates/docs/blobs/${configDigest}`)
    expect(config.status).toBe(200)
    expect(`sha256:${createHash('sha256').update(config.body).digest('hex')}`).toBe(configDigest)
    expect(await replicas[1]!.runtime.store.has(configDigest)).toBeNull()
  })

  it('a peer request does not fill in turn, and an unknown digest stays 404', async () => {
    const { digest } = await ingestTree(replicas[2]!.runtime, 'docs', {
      'config.yaml': 'name: docs\nv: 2\n',
    })
    const noFill = await get(replicas[1]!.url, `/v1/bundles/${digest}`, {
      ...auth(),
      'x-asset-cache-no-fill': '1',
    })
    expect(noFill.status).toBe(404)
    expect(await replicas[1]!.runtime.store.has(digest)).toBeNull()
    const unknown = `sha256:${'0'.repeat(64)}`
    expect((await get(replicas[1]!.url, `/v1/bundles/${unknown}`)).status).toBe(404)
    expect(await replicas[1]!.runtime.store.has(unknown)).toBeNull()
  })

  it('a peer that lies is never trusted: the wrong bytes are not stored', async () => {
    const unknown = `sha256:${'1'.repeat(64)}`
    const before = await fills(replicas[1]!, 'failed')
    expect((await get(replicas[1]!.url, `/v1/bundles/${unknown}`)).status).toBe(404)
    expect(await fills(replicas[1]!, 'failed')).toBe(before + 1)
    expect(await replicas[1]!.runtime.store.has(unknown)).toBeNull()
  })

  it('the reader’s credential goes to the peer: a scope the peer refuses stays 404', async () => {
    replicas[2]!.runtime.index.templates.ensureLocal(
      'hand',
      { allow: ['**'], require: [] },
      Date.now(),
    )
    const { digest } = await ingestTree(replicas[2]!.runtime, 'hand', {
      'config.yaml': 'name: hand\n',
    })
    // Unscoped on the peer: the scoped token may not read a bundle outside its template there.
    expect((await get(replicas[1]!.url, `/v1/bundles/${digest}`, auth(SCOPED))).status).toBe(404)
    expect((await get(replicas[1]!.url, `/v1/bundles/${digest}`, {})).status).toBe(401)
    expect(await replicas[1]!.runtime.store.has(digest)).toBeNull()
  })
})
