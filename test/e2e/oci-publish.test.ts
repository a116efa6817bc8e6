// Publishing to a real registry (Debian's docker-registry, CNCF distribution): every ready version
// is pushed with the bytes /v2 serves, skopeo sees the tags with the right digests, pin and unpin
// move `latest` there, Basic auth (htpasswd) works, and a registry that is down or refuses
// changes nothing else: the version is still ready and served, its publish status says failed
// with a code, and it is published once the registry is back.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Config } from '../../src/config.js'
import { type RunningServer, startServer } from '../../src/http/server.js'
import { createLogger } from '../../src/log.js'
import { ingestTree } from '../http/read-fixture.js'
import type { Registry } from '../support/oci-tools.js'
import { freePort, missingTools, run, startRegistry, TOOLS } from '../support/oci-tools.js'
import { testConfig } from '../support/runtime.js'
import { startTokenFront, type TokenFront } from '../support/token-front.js'
import { until } from '../support/wait.js'

const ADMIN = randomBytes(32).toString('hex')
const PASSWORD = 'fleet-mirror-password'
/** htpasswd entry for `fleet` / PASSWORD (bcrypt, cost 4: made once with crypt(3)). */
const HTPASSWD = 'fleet:$2b$04$RYtCeROYIu4y8GvvdbG3PeLACd485cJjxXjxnSpKyTVSQSFTJEkS2'
const WRONG = 'not-the-fleet-password'
const missing = missingTools()

let dir: string
const registries: Registry[] = []
const servers: RunningServer[] = []
/** Every log line of every server started here. */
let logs = ''

async function startPublishing(
  target: string,
  env: Record<string, string> = {},
  names: string[] = ['seo'],
) {
  const templates = names.map((name) => ({ name, repo: `acme/${name}`, ref: 'main' }))
  const config: Config = testConfig(templates, {
    ASSET_CACHE_OCI_PUBLISH: target,
    ASSET_CACHE_ADMIN_TOKEN: ADMIN,
    ASSET_CACHE_LOG_LEVEL: 'debug',
    ...env,
  })
  config.ociPublish!.retryBaseMs = 50
  config.ociPublish!.retryMaxMs = 200
  const logger = createLogger('debug', {
    write: (line: string) => {
      logs += line
    },
  })
  const server = await startServer(config, { logger, publishPollMs: 20 })
  servers.push(server)
  return server
}

const skopeo = (...args: string[]) => run(TOOLS.skopeo, args)
const inspect = async (ref: string, ...creds: string[]) =>
  JSON.parse(await skopeo('inspect', '--raw', '--tls-verify=false', ...creds, ref)) as unknown
const digestAt = async (ref: string, ...creds: string[]) =>
  JSON.parse(await skopeo('inspect', '--tls-verify=false', ...creds, ref)).Digest as string

/** The index /v2 serves for `tag`: its digest and parsed body. */
async function served(server: RunningServer, tag: string) {
  const res = await request(`${server.url}/v2/templates/seo/manifests/${tag}`, {
    headers: { accept: 'application/vnd.oci.image.index.v1+json' },
  })
  return {
    digest: res.headers['docker-content-digest'] as string,
    body: (await res.body.json()) as unknown,
  }
}

const state = (server: RunningServer, digest: string, template = 'seo') => {
  const { index, config } = server.runtime
  const version = index.versions.readyWithDigest(template, digest)!
  return index.publish.state(version.id, config.ociPublish!.target.key)
}

/** Waits until `tag` at the registry is what /v2 serves for it. */
async function tagFollows(server: RunningServer, ref: string, tag: string, ...creds: string[]) {
  await until(
    async () => {
      const want = (await served(server, tag)).digest
      try {
        return (await digestAt(ref, ...creds)) === want
      } catch {
        return false
      }
    },
    { timeoutMs: 30_000 },
  )
}

const admin = (server: RunningServer, method: string, path: string, body?: unknown) =>
  request(`${server.url}/v1/admin${path}`, {
    method: method as 'PUT',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'asset-cache-publish-'))
})

const fronts: TokenFront[] = []

afterAll(async () => {
  for (const s of servers) await s.close(1_000)
  for (const f of fronts) await f.stop()
  for (const r of registries) await r.stop()
})

describe.skipIf(missing.length > 0)('publishing to docker-registry', () => {
  it('pushes each ready version; tags have the digests /v2 serves; pin and unpin move latest', async () => {
    const registry = await startRegistry(mkdtempSync(join(dir, 'plain-')))
    registries.push(registry)
    const server = await startPublishing(`http://${registry.host}/ns`)
    const repo = `docker://${registry.host}/ns/templates/seo`
    const v1 = await ingestTree(server.runtime, 'seo', { 'config.yaml': 'name: seo\n' })
    await until(() => state(server, v1.digest)?.status === 'published', { timeoutMs: 30_000 })
    await tagFollows(server, `${repo}:latest`, 'latest')
    // The same bytes as /v2: the index, and the commit and ref tags.
    expect(await inspect(`${repo}:latest`)).toEqual((await served(server, 'latest')).body)
    await tagFollows(server, `${repo}:${v1.commit}`, v1.commit)
    await tagFollows(server, `${repo}:main`, 'main')

    const v2 = await ingestTree(server.runtime, 'seo', { 'config.yaml': 'name: seo v2\n' })
    await until(() => state(server, v2.digest)?.status === 'published', { timeoutMs: 30_000 })
    await tagFollows(server, `${repo}:latest`, 'latest')
    expect((await served(server, 'latest')).body).toMatchObject({
      annotations: { 'org.opencontainers.image.revision': v2.commit },
    })
    const atV2 = await digestAt(`${repo}:latest`)

    expect(
      (await admin(server, 'PUT', '/templates/seo/pin', { digest: v1.digest })).statusCode,
    ).toBe(200)
    await tagFollows(server, `${repo}:latest`, 'latest')
    const pinned = await digestAt(`${repo}:latest`)
    expect(pinned).not.toBe(atV2)
    expect(pinned).toBe(await digestAt(`${repo}:${v1.commit}`))

    expect((await admin(server, 'DELETE', '/templates/seo/pin')).statusCode).toBe(200)
    await until(async () => (await digestAt(`${repo}:latest`)) === atV2, { timeoutMs: 30_000 })
    // A rollback (the branch went back to an older commit: refresh makes its version current).
    const { index } = server.runtime
    index.templates.setCurrent(
      'seo',
      index.versions.readyWithDigest('seo', v1.digest)!.id,
      Date.now(),
    )
    await tagFollows(server, `${repo}:latest`, 'latest')
    await tagFollows(server, `${repo}:main`, 'main')
    expect(await digestAt(`${repo}:main`)).toBe(await digestAt(`${repo}:${v1.commit}`))
    const tags = JSON.parse(await skopeo('list-tags', '--tls-verify=false', repo)).Tags
    expect(tags.sort()).toEqual(['latest', 'main', v1.commit, v2.commit].sort())
    const metrics = await server.metrics.text()
    expect(metrics).toMatch(/asset_cache_oci_publishes_total\{outcome="pushed"\} 2/)
  })

  it('pushes with Basic credentials (htpasswd); a wrong password fails without leaking it', async () => {
    const registry = await startRegistry(mkdtempSync(join(dir, 'basic-')), { htpasswd: HTPASSWD })
    registries.push(registry)
    const creds = ['--creds', `fleet:${PASSWORD}`]
    const good = await startPublishing(`http://${registry.host}/fleet`, {
      ASSET_CACHE_OCI_PUBLISH_USER: 'fleet',
      ASSET_CACHE_OCI_PUBLISH_PASSWORD: PASSWORD,
    })
    const v = await ingestTree(good.runtime, 'seo', { 'config.yaml': 'name: basic\n' })
    await until(() => state(good, v.digest)?.status === 'published', { timeoutMs: 30_000 })
    await tagFollows(
      good,
      `docker://${registry.host}/fleet/templates/seo:latest`,
      'latest',
      ...creds,
    )

    const bad = await startPublishing(`http://${registry.host}/other`, {
      ASSET_CACHE_OCI_PUBLISH_USER: 'fleet',
      ASSET_CACHE_OCI_PUBLISH_PASSWORD: WRONG,
    })
    const w = await ingestTree(bad.runtime, 'seo', { 'config.yaml': 'name: refused\n' })
    await until(() => (state(bad, w.digest)?.attempts ?? 0) >= 2, { timeoutMs: 30_000 })
    expect(state(bad, w.digest)).toMatchObject({ status: 'failed', error: 'PUBLISH_UNAUTHORIZED' })
    // Refused publishing changes nothing else: the version is current and served.
    expect(bad.runtime.index.templates.get('seo')!.currentVersionId).toBe(
      bad.runtime.index.versions.readyWithDigest('seo', w.digest)!.id,
    )
    const blob = await request(`${bad.url}/v1/bundles/${w.digest}`)
    expect(blob.statusCode).toBe(200)
    await blob.body.dump()
    const views = await (await admin(bad, 'GET', '/templates/seo/versions')).body.text()
    expect(views).toContain('PUBLISH_UNAUTHORIZED')
    for (const secret of [WRONG, PASSWORD, Buffer.from(`fleet:${WRONG}`).toString('base64')]) {
      expect(logs).not.toContain(secret)
      expect(views).not.toContain(secret)
    }
  })

  it('a registry that is down: the version is ready, publishing failed, and it is retried', async () => {
    const port = await freePort()
    const server = await startPublishing(`http://127.0.0.1:${port}/ns`)
    const v = await ingestTree(server.runtime, 'seo', { 'config.yaml': 'name: down\n' })
    expect(server.runtime.index.versions.readyWithDigest('seo', v.digest)).not.toBeNull()
    await until(() => (state(server, v.digest)?.attempts ?? 0) >= 2, { timeoutMs: 30_000 })
    expect(state(server, v.digest)).toMatchObject({
      status: 'failed',
      error: 'PUBLISH_UNREACHABLE',
    })
    const metrics = await server.metrics.text()
    expect(metrics).toMatch(/asset_cache_oci_publishes_total\{outcome="failed"\} [1-9]/)

    const registry = await startRegistry(mkdtempSync(join(dir, 'late-')), { port })
    registries.push(registry)
    await until(() => state(server, v.digest)?.status === 'published', { timeoutMs: 30_000 })
    await tagFollows(server, `docker://${registry.host}/ns/templates/seo:latest`, 'latest')
  })
})

describe.skipIf(missing.length > 0)('a stored bundle that cannot be read', () => {
  it('fails its version with the store code, is withdrawn, and the pass goes on', async () => {
    const port = await freePort()
    const server = await startPublishing(`http://127.0.0.1:${port}/ns`, {}, ['broken', 'seo'])
    const bad = await ingestTree(server.runtime, 'broken', { 'config.yaml': 'name: bad\n' })
    const good = await ingestTree(server.runtime, 'seo', { 'config.yaml': 'name: good\n' })
    // Both fail while the registry is down; then the broken bundle's bytes change on disk.
    await until(() => state(server, good.digest, 'seo')?.status === 'failed', {
      timeoutMs: 30_000,
    })
    const path = server.runtime.store.contentPath(bad.digest)
    const bytes = readFileSync(path)
    bytes[bytes.length - 1]! ^= 0xff
    writeFileSync(path, bytes)

    const registry = await startRegistry(mkdtempSync(join(dir, 'corrupt-')), { port })
    registries.push(registry)
    await until(() => state(server, bad.digest, 'broken')?.error === 'EINTEGRITY', {
      timeoutMs: 30_000,
    })
    await until(() => state(server, good.digest, 'seo')?.status === 'published', {
      timeoutMs: 30_000,
    })
    expect(await server.runtime.store.has(bad.digest)).toBeNull()
    const quarantined = readdirSync(join(server.runtime.store.dir, 'quarantine'))
    expect(quarantined.some((name) => name.startsWith(bad.digest.slice(7)))).toBe(true)
    expect(logs).toContain('bundle failed verification on read; quarantined')
  })
})

describe.skipIf(missing.length > 0)('publishing behind registry token authentication', () => {
  it('gets Bearer tokens for the push scopes with Basic credentials, mounts a shared bundle, reports 403', async () => {
    const registry = await startRegistry(mkdtempSync(join(dir, 'token-')))
    registries.push(registry)
    const front = await startTokenFront(registry.url, 'robot', 'robot-secret')
    fronts.push(front)
    front.deny.add('tok/templates/other')
    const server = await startPublishing(
      `http://${front.host}/tok`,
      { ASSET_CACHE_OCI_PUBLISH_USER: 'robot', ASSET_CACHE_OCI_PUBLISH_PASSWORD: 'robot-secret' },
      ['seo', 'docs', 'other'],
    )
    const tree = { 'config.yaml': 'name: shared\n' }
    const seo = await ingestTree(server.runtime, 'seo', tree)
    await until(() => state(server, seo.digest)?.status === 'published', { timeoutMs: 30_000 })
    const docs = await ingestTree(server.runtime, 'docs', tree)
    expect(docs.digest).toBe(seo.digest)
    await until(() => state(server, docs.digest, 'docs')?.status === 'published', {
      timeoutMs: 30_000,
    })

    // The token flow: Basic to the realm, then Bearer with the push scopes (and pull of the
    // repository a blob is mounted from).
    expect(front.requests.filter((r) => r.path === '/token').every((r) => r.auth === 'Basic')).toBe(
      true,
    )
    const scopes = [...front.tokens.values()].flat()
    expect(scopes).toContain('repository:tok/templates/seo:pull,push')
    expect(scopes).toContain('repository:tok/templates/seo:pull')
    const toRegistry = front.requests.filter((r) => r.path.startsWith('/v2/tok/'))
    expect(toRegistry.some((r) => r.auth === 'Bearer')).toBe(true)
    // docs' layer was mounted from seo's repository, not uploaded again.
    const docsUploads = toRegistry.filter((r) => r.path === '/v2/tok/templates/docs/blobs/uploads/')
    expect(docsUploads.some((r) => r.query === 'mount&from')).toBe(true)
    const docsRef = `docker://${registry.host}/tok/templates/docs:latest`
    let docsLayer: unknown = null
    await until(
      async () => {
        docsLayer = await skopeo('inspect', '--tls-verify=false', docsRef)
          .then((out) => JSON.parse(out).Layers)
          .catch(() => null)
        return docsLayer !== null
      },
      { timeoutMs: 30_000 },
    )
    expect(docsLayer).toEqual([docs.digest])

    const other = await ingestTree(server.runtime, 'other', { 'config.yaml': 'name: other\n' })
    await until(() => state(server, other.digest, 'other')?.status === 'failed', {
      timeoutMs: 30_000,
    })
    expect(state(server, other.digest, 'other')?.error).toBe('PUBLISH_DENIED')
    expect(logs).not.toContain('robot-secret')
  })
})
