// Publishing attestations to a real registry (Debian's docker-registry, CNCF distribution 2.8,
// which has no referrers API): every referrer /v2 serves for a signed version is pushed with the
// same bytes, by digest, its subject the image's own index or manifest and its layer the envelope,
// which still verifies; the referrers tag `sha256-<subject hex>` lists them, once each, however
// often the version is pushed; skopeo reads them by digest. A version signed after it was
// published gets its referrers then; an unsigned one pushes nothing more than its image. A
// registry that answers OCI-Subject indexes them itself: no referrers tag is written.
import { createHash } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadTrustedKey } from '../../src/attest/keys.js'
import { signVersion } from '../../src/attest/sign.js'
import { verifyAttestations } from '../../src/attest/verify.js'
import { type RunningServer, startServer } from '../../src/http/server.js'
import { silentLogger } from '../../src/log.js'
import { MEDIA_TYPES } from '../../src/oci/image.js'
import { referrersTag } from '../../src/oci/push-referrers.js'
import { opensslKeyPair } from '../attest/keys.js'
import { ingestTree } from '../http/read-fixture.js'
import { missingTools, type Registry, run, startRegistry, TOOLS } from '../support/oci-tools.js'
import { testConfig } from '../support/runtime.js'
import { type SubjectFront, startSubjectFront } from '../support/subject-front.js'
import { until } from '../support/wait.js'

const keys = opensslKeyPair()
const missing = missingTools()
let dir: string
const registries: Registry[] = []
const fronts: SubjectFront[] = []
const servers: RunningServer[] = []

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'asset-cache-publish-referrers-'))
})

afterAll(async () => {
  for (const s of servers) await s.close(1_000)
  for (const f of fronts) await f.stop()
  for (const r of registries) await r.stop()
})

async function startPublishing(target: string) {
  const config = testConfig([{ name: 'seo', repo: 'acme/seo', ref: 'main' }], {
    ASSET_CACHE_OCI_PUBLISH: target,
    ASSET_CACHE_SIGNING_KEY: keys.key,
  })
  config.ociPublish!.retryBaseMs = 50
  config.ociPublish!.retryMaxMs = 200
  const server = await startServer(config, { logger: silentLogger, publishPollMs: 20 })
  servers.push(server)
  return server
}

const accept = [MEDIA_TYPES.index, MEDIA_TYPES.manifest].join(', ')

/** GET `path` of `base`: status, content type and body bytes. */
async function get(base: string, path: string) {
  const res = await request(`${base}${path}`, { headers: { accept } })
  const bytes = Buffer.from(await res.body.arrayBuffer())
  return { status: res.statusCode, type: res.headers['content-type'], bytes }
}

const json = (bytes: Buffer) => JSON.parse(bytes.toString()) as Record<string, unknown>

interface Descriptor {
  digest: string
  mediaType: string
  size: number
  artifactType: string
  annotations: Record<string, string>
}

/** The documents that carry `digest`'s bundle on /v2: the `latest` index and its manifests. */
async function subjectsOf(server: RunningServer) {
  const index = await get(server.url, '/v2/templates/seo/manifests/latest')
  expect(index.status).toBe(200)
  const manifests = (json(index.bytes).manifests as { digest: string }[]).map((m) => m.digest)
  return [`sha256:${createHash('sha256').update(index.bytes).digest('hex')}`, ...manifests]
}

/** What /v2 lists as referrers of `subject`. */
async function servedReferrers(server: RunningServer, subject: string): Promise<Descriptor[]> {
  const res = await get(server.url, `/v2/templates/seo/referrers/${subject}`)
  return json(res.bytes).manifests as Descriptor[]
}

const state = (server: RunningServer, digest: string) => {
  const { index, config } = server.runtime
  const version = index.versions.readyWithDigest('seo', digest)!
  return index.publish.state(version.id, config.ociPublish!.target.key)
}

/** Whether the version of `digest` was published by a push that began after it was signed. */
const caughtUp = (server: RunningServer, digest: string) => {
  const { index } = server.runtime
  const version = index.versions.readyWithDigest('seo', digest)!
  const signedAt = index.attestations.signedAt(version.id, digest)
  const s = state(server, digest)
  return signedAt !== null && s?.status === 'published' && (s.publishedAt ?? 0) >= signedAt
}

/** Signs the ready version of `digest` with the server's key, as the CLI does. */
function sign(server: RunningServer, digest: string) {
  const { index, config } = server.runtime
  const version = index.versions.readyWithDigest('seo', digest)!
  expect(signVersion(index, config.signingKey!, version.id, Date.now())).toBe('signed')
}

/** The referrers tag of `subject` at the registry, once it lists `count` entries. */
async function referrersTagOnceListing(registry: Registry, subject: string, count: number) {
  const path = `/v2/ns/templates/seo/manifests/${referrersTag(subject)}`
  let found: Awaited<ReturnType<typeof get>> | null = null
  await until(
    async () => {
      found = await get(registry.url, path)
      return found.status === 200 && (json(found.bytes).manifests as unknown[]).length >= count
    },
    { timeoutMs: 30_000 },
  )
  return found!
}

/** Every check of a pushed referrer: bytes, subject, envelope, skopeo. */
async function expectPushed(
  registry: Registry,
  server: RunningServer,
  bundle: string,
  descriptor: Descriptor,
  subject: string,
) {
  const served = await get(server.url, `/v2/templates/seo/manifests/${descriptor.digest}`)
  const pushed = await get(registry.url, `/v2/ns/templates/seo/manifests/${descriptor.digest}`)
  expect(pushed.status).toBe(200)
  expect(pushed.bytes.equals(served.bytes)).toBe(true)
  const manifest = json(pushed.bytes) as {
    subject: { digest: string }
    layers: { digest: string }[]
    config: { digest: string }
  }
  expect(manifest.subject.digest).toBe(subject)
  const layer = await get(registry.url, `/v2/ns/templates/seo/blobs/${manifest.layers[0]!.digest}`)
  expect(layer.status).toBe(200)
  const ok = verifyAttestations(json(layer.bytes), {
    keys: [loadTrustedKey(keys.pub)],
    digest: bundle,
    template: 'seo',
  })
  expect(ok.predicate.template).toBe('seo')
  const config = await get(registry.url, `/v2/ns/templates/seo/blobs/${manifest.config.digest}`)
  expect(config.bytes.toString()).toBe('{}')
  const ref = `docker://${registry.host}/ns/templates/seo@${descriptor.digest}`
  const raw = await run(TOOLS.skopeo, ['inspect', '--raw', '--tls-verify=false', ref])
  expect(Buffer.from(raw).equals(served.bytes)).toBe(true)
}

describe.skipIf(missing.length > 0)('publishing attestation referrers', () => {
  it('pushes the referrers /v2 serves; the referrers tag lists each once, on every push', async () => {
    const registry = await startRegistry(mkdtempSync(join(dir, 'signed-')))
    registries.push(registry)
    const server = await startPublishing(`http://${registry.host}/ns`)
    const v = await ingestTree(server.runtime, 'seo', { 'config.yaml': 'name: signed\n' })
    sign(server, v.digest)
    const subjects = await subjectsOf(server)
    expect(subjects.length).toBe(1 + server.runtime.config.oci.platforms.length)
    const tags = new Map<string, Buffer>()
    for (const subject of subjects) {
      const listed = await servedReferrers(server, subject)
      expect(listed).toHaveLength(1)
      // distribution 2.8 does not answer OCI-Subject: the referrers tag lists them.
      const tag = await referrersTagOnceListing(registry, subject, 1)
      expect(tag.type).toBe(MEDIA_TYPES.index)
      expect(json(tag.bytes)).toEqual({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.index,
        manifests: listed,
      })
      tags.set(subject, tag.bytes)
      for (const descriptor of listed) {
        await expectPushed(registry, server, v.digest, descriptor, subject)
      }
    }
    // And it has no referrers API at all.
    const api = await get(registry.url, `/v2/ns/templates/seo/referrers/${subjects[0]}`)
    expect(api.status).toBe(404)

    // Pushed again (a retry, a new target state): nothing is listed twice.
    const { index, config } = server.runtime
    const version = index.versions.readyWithDigest('seo', v.digest)!
    const before = state(server, v.digest)!.attempts
    index.publish.markPending(version.id, config.ociPublish!.target.key)
    await until(
      () =>
        state(server, v.digest)?.status === 'published' &&
        state(server, v.digest)!.attempts > before,
      { timeoutMs: 30_000 },
    )
    for (const subject of subjects) {
      const tag = await get(registry.url, `/v2/ns/templates/seo/manifests/${referrersTag(subject)}`)
      expect(tag.bytes.equals(tags.get(subject)!)).toBe(true)
    }
  })

  it('a version signed after it was published gets its referrers; unsigned pushes nothing more', async () => {
    const registry = await startRegistry(mkdtempSync(join(dir, 'late-')))
    registries.push(registry)
    const server = await startPublishing(`http://${registry.host}/ns`)
    const v = await ingestTree(server.runtime, 'seo', { 'config.yaml': 'name: late\n' })
    await until(() => state(server, v.digest)?.status === 'published', { timeoutMs: 30_000 })
    const repo = `docker://${registry.host}/ns/templates/seo`
    await until(
      async () => {
        const out = await run(TOOLS.skopeo, ['list-tags', '--tls-verify=false', repo])
        return (JSON.parse(out).Tags as string[]).includes('latest')
      },
      { timeoutMs: 30_000 },
    )
    const subjects = await subjectsOf(server)
    for (const subject of subjects) {
      expect(await servedReferrers(server, subject)).toEqual([])
      const tag = await get(registry.url, `/v2/ns/templates/seo/manifests/${referrersTag(subject)}`)
      expect(tag.status).toBe(404)
    }
    const unsigned = JSON.parse(await run(TOOLS.skopeo, ['list-tags', '--tls-verify=false', repo]))
    expect((unsigned.Tags as string[]).sort()).toEqual(['latest', 'main', v.commit].sort())

    sign(server, v.digest)
    for (const subject of subjects) {
      const listed = await servedReferrers(server, subject)
      expect(listed).toHaveLength(1)
      const tag = await referrersTagOnceListing(registry, subject, 1)
      expect(json(tag.bytes).manifests).toEqual(listed)
      await expectPushed(registry, server, v.digest, listed[0]!, subject)
    }
    await until(() => caughtUp(server, v.digest), { timeoutMs: 30_000 })
  })

  it('a registry that answers OCI-Subject indexes the referrers: no referrers tag is written', async () => {
    const registry = await startRegistry(mkdtempSync(join(dir, 'subject-')))
    registries.push(registry)
    const front = await startSubjectFront(registry.url)
    fronts.push(front)
    const server = await startPublishing(`http://${front.host}/ns`)
    const v = await ingestTree(server.runtime, 'seo', { 'config.yaml': 'name: indexed\n' })
    sign(server, v.digest)
    const subjects = await subjectsOf(server)
    const expected = new Map<string, string>()
    for (const subject of subjects) {
      for (const d of await servedReferrers(server, subject)) expected.set(d.digest, subject)
    }
    expect(expected.size).toBe(subjects.length)
    await until(() => caughtUp(server, v.digest), { timeoutMs: 30_000 })
    for (const [digest, subject] of expected) {
      expect(front.subjects.get(digest)).toBe(subject)
      await expectPushed(registry, server, v.digest, { digest } as Descriptor, subject)
    }
    const tagged = front.requests.filter((r) => /\/manifests\/sha256-/.test(r.path))
    expect(tagged).toEqual([])
  })

  it('a registry that refuses the attestations still gets the image and its tags', async () => {
    const registry = await startRegistry(mkdtempSync(join(dir, 'refusing-')))
    registries.push(registry)
    const front = await startSubjectFront(registry.url, { refuse: true })
    fronts.push(front)
    const server = await startPublishing(`http://${front.host}/ns`)
    const v = await ingestTree(server.runtime, 'seo', { 'config.yaml': 'name: refused\n' })
    sign(server, v.digest)
    const [indexDigest] = await subjectsOf(server)
    await until(
      async () =>
        (await get(registry.url, '/v2/ns/templates/seo/manifests/latest')).status === 200 &&
        (await server.metrics.text()).includes(
          'asset_cache_oci_publishes_total{outcome="attestations_refused"}',
        ),
      { timeoutMs: 30_000 },
    )
    const latest = await get(registry.url, '/v2/ns/templates/seo/manifests/latest')
    expect(`sha256:${createHash('sha256').update(latest.bytes).digest('hex')}`).toBe(indexDigest)
    expect(state(server, v.digest)?.status).toBe('published')
    const refused = front.requests.filter((r) => r.method === 'PUT' && /manifests/.test(r.path))
    expect(refused.length).toBeGreaterThan(0)
  })
})
