// Attestations over HTTP, in-process over a real runtime with a real ed25519 key (openssl):
// GET /v1/bundles/{digest}/attestations with the bundle's read rules, signing at ingest that never
// fails an ingest, the maintenance signing of older versions, and the OCI referrers (artifact
// manifest + DSSE envelope blob) that attach each envelope to the template's image.

import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadTrustedKey } from '../../src/attest/keys.js'
import { attestationCounter, createAttester, signVersion } from '../../src/attest/sign.js'
import { PREDICATE_TYPE, RULES_VERSION } from '../../src/attest/statement.js'
import { verifyAttestations } from '../../src/attest/verify.js'
import { ingest } from '../../src/cache/ingest.js'
import { ingestCommand, openArchive } from '../../src/cli/ingest.js'
import { silentLogger } from '../../src/log.js'
import { MEDIA_TYPES } from '../../src/oci/image.js'
import { DSSE_MEDIA_TYPE } from '../../src/oci/referrers.js'
import type { Runtime } from '../../src/runtime.js'
import { opensslKeyPair } from '../attest/keys.js'
import { capture } from '../client/capture.js'
import { runtimeApp } from '../support/app.js'
import { archive, commitTree, type TreeEntry } from '../support/git.js'
import { errorCode, type Fixture, fixture } from './read-fixture.js'

const READER = 'attest-reader'
const SCOPED = 'attest-docs-only'
const keys = opensslKeyPair()
const trusted = loadTrustedKey(keys.pub)
const registry = new Registry()
const counter = attestationCounter(registry)

let f: Fixture
let seo: { digest: string; commit: string; versionId: number }
let unsigned: { digest: string; commit: string; versionId: number }

async function ingestSigned(
  rt: Runtime,
  template: string,
  tree: Record<string, TreeEntry>,
  sign = true,
) {
  const dir = mkdtempSync(join(tmpdir(), 'asset-cache-repo-'))
  const commit = await commitTree(dir, tree)
  const attester = sign
    ? createAttester({
        index: rt.index,
        key: rt.config.signingKey!,
        logger: silentLogger,
        counter,
        now: rt.now,
      })
    : null
  const result = await ingest(
    { index: rt.index, store: rt.store, spoolDir: rt.spoolDir, now: rt.now, attester },
    {
      template: rt.index.templates.get(template)!,
      archive: Readable.from([await archive(dir, template)]),
      expectedCommit: commit,
      source: 'webhook',
      provenance: { deliveryId: 'delivery-1' },
    },
  )
  if (result.status !== 'ready') throw new Error(`ingest rejected: ${result.code}`)
  return { digest: result.digest, commit, versionId: result.versionId }
}

const get = (path: string, token = READER) =>
  f.app.request(path, { headers: token ? { authorization: `Bearer ${token}` } : {} })

beforeAll(async () => {
  f = await fixture({
    ASSET_CACHE_READ_TOKENS: `${READER},${SCOPED}@docs`,
    ASSET_CACHE_SIGNING_KEY: keys.key,
  })
  unsigned = await ingestSigned(f.rt, 'docs', { 'config.yaml': 'name: docs\n' }, false)
  seo = await ingestSigned(f.rt, 'seo', {
    'config.yaml': 'name: seo\n',
    'prompts/a.md': 'a\n',
  })
})
afterAll(() => f.rt.close())

describe('GET /v1/bundles/{digest}/attestations', () => {
  it('answers the envelope of a version signed at ingest: the statement of what was verified', async () => {
    const res = await get(`/v1/bundles/${seo.digest}/attestations`)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-cache')
    const envelopes = await res.json()
    expect(envelopes).toHaveLength(1)
    const ok = verifyAttestations(envelopes, {
      keys: [trusted],
      digest: seo.digest,
      template: 'seo',
    })
    expect(ok.predicate).toEqual({
      template: 'seo',
      repository: 'acme/agent-template-seo',
      commit: seo.commit,
      delivery: 'delivery-1',
      source: 'webhook',
      rulesVersion: RULES_VERSION,
      fileCount: 2,
      verifiedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    })
    expect(ok.keyid).toBe(trusted.keyid)
    expect(await registry.getSingleMetricAsString('asset_cache_attestations_total')).toContain(
      'asset_cache_attestations_total{outcome="signed"} 1',
    )
  })

  it('follows the bundle route: 401 without a token, 400 malformed, 404 unknown or out of scope', async () => {
    expect((await get(`/v1/bundles/${seo.digest}/attestations`, '')).status).toBe(401)
    const bad = await get('/v1/bundles/sha256:zz/attestations')
    expect([bad.status, await errorCode(bad)]).toEqual([400, 'INVALID_DIGEST'])
    const unknown = await get(`/v1/bundles/sha256:${'0'.repeat(64)}/attestations`)
    expect([unknown.status, await errorCode(unknown)]).toEqual([404, 'NOT_FOUND'])
    const scoped = await get(`/v1/bundles/${seo.digest}/attestations`, SCOPED)
    expect([scoped.status, await errorCode(scoped)]).toEqual([404, 'NOT_FOUND'])
    expect((await get(`/v1/bundles/${unsigned.digest}/attestations`, SCOPED)).status).toBe(200)
  })

  it('answers [] for a version ingested before the key; signing it later is idempotent', async () => {
    const path = `/v1/bundles/${unsigned.digest}/attestations`
    expect(await (await get(path)).json()).toEqual([])
    const key = f.rt.config.signingKey!
    expect(f.rt.index.attestations.unsigned(key.keyid).map((v) => v.versionId)).toEqual([
      unsigned.versionId,
    ])
    expect(signVersion(f.rt.index, key, unsigned.versionId, Date.now())).toBe('signed')
    expect(signVersion(f.rt.index, key, unsigned.versionId, Date.now())).toBe('present')
    expect(f.rt.index.attestations.unsigned(key.keyid)).toEqual([])
    const envelopes = await (await get(path)).json()
    expect(envelopes).toHaveLength(1)
    const ok = verifyAttestations(envelopes, {
      keys: [trusted],
      digest: unsigned.digest,
      template: 'docs',
    })
    expect(ok.predicate.delivery).toBe('delivery-1')
  })

  it('a scoped token sees only the envelopes of its own templates', async () => {
    // Same allowed content under another template: the same bundle, a second envelope.
    const twin = await ingestSigned(f.rt, 'empty', { 'config.yaml': 'name: docs\n' })
    expect(twin.digest).toBe(unsigned.digest)
    const path = `/v1/bundles/${twin.digest}/attestations`
    const all = (await (await get(path)).json()) as unknown[]
    const mine = (await (await get(path, SCOPED)).json()) as unknown[]
    const templates = (list: unknown[]) =>
      list.map((e) => {
        const payload = Buffer.from((e as { payload: string }).payload, 'base64').toString()
        return (JSON.parse(payload) as { predicate: { template: string } }).predicate.template
      })
    expect(templates(all)).toEqual(['empty', 'docs'])
    expect(templates(mine)).toEqual(['docs'])
  })
})

describe('OCI referrers', () => {
  const basic = `Basic ${Buffer.from(`x:${READER}`).toString('base64')}`
  const v2 = async (path: string, accept?: string) => {
    const res = await f.app.request(path, {
      headers: { authorization: basic, ...(accept ? { accept } : {}) },
    })
    return { res, body: Buffer.from(await res.arrayBuffer()) }
  }

  it('lists an artifact manifest for the image index and each platform manifest', async () => {
    const latest = await v2('/v2/templates/seo/manifests/latest', MEDIA_TYPES.index)
    const indexDigest = latest.res.headers.get('docker-content-digest')!
    const platforms = JSON.parse(latest.body.toString()).manifests as { digest: string }[]
    for (const subject of [indexDigest, ...platforms.map((m) => m.digest)]) {
      const r = await v2(`/v2/templates/seo/referrers/${subject}`)
      expect(r.res.status).toBe(200)
      expect(r.res.headers.get('content-type')).toBe(MEDIA_TYPES.index)
      const list = JSON.parse(r.body.toString())
      expect(list.manifests).toHaveLength(1)
      expect(list.manifests[0]).toMatchObject({
        mediaType: MEDIA_TYPES.manifest,
        artifactType: 'application/vnd.in-toto+json',
        annotations: { 'in-toto.io/predicate-type': PREDICATE_TYPE },
      })
      const m = await v2(`/v2/templates/seo/manifests/${list.manifests[0].digest}`)
      expect(m.res.status).toBe(200)
      const manifest = JSON.parse(m.body.toString())
      expect(manifest.subject.digest).toBe(subject)
      expect(manifest.config).toMatchObject({
        mediaType: 'application/vnd.oci.empty.v1+json',
        size: 2,
      })
      expect(manifest.layers[0].mediaType).toBe(DSSE_MEDIA_TYPE)
      const layer = await v2(`/v2/templates/seo/blobs/${manifest.layers[0].digest}`)
      expect(layer.res.status).toBe(200)
      const config = await v2(`/v2/templates/seo/blobs/${manifest.config.digest}`)
      expect(config.body.toString()).toBe('{}')
      const ok = verifyAttestations(JSON.parse(layer.body.toString()), {
        keys: [trusted],
        digest: seo.digest,
        template: 'seo',
      })
      expect(ok.predicate.commit).toBe(seo.commit)
    }
  })

  it('has deterministic bytes, filters by artifactType, and is empty for other digests', async () => {
    const latest = await v2('/v2/templates/seo/manifests/latest', MEDIA_TYPES.index)
    const subject = latest.res.headers.get('docker-content-digest')!
    const a = await v2(`/v2/templates/seo/referrers/${subject}`)
    const other = fixtureApp()
    const b = await other.request(`/v2/templates/seo/referrers/${subject}`, {
      headers: { authorization: basic },
    })
    expect(Buffer.from(await b.arrayBuffer()).equals(a.body)).toBe(true)
    const filtered = await v2(`/v2/templates/seo/referrers/${subject}?artifactType=application/x`)
    expect(filtered.res.headers.get('oci-filters-applied')).toBe('artifactType')
    expect(JSON.parse(filtered.body.toString()).manifests).toEqual([])
    const kept = await v2(
      `/v2/templates/seo/referrers/${subject}?artifactType=${encodeURIComponent('application/vnd.in-toto+json')}`,
    )
    expect(JSON.parse(kept.body.toString()).manifests).toHaveLength(1)
    const none = await v2(`/v2/templates/seo/referrers/${seo.digest}`)
    expect(JSON.parse(none.body.toString()).manifests).toEqual([])
    // Scoped to the repository: another template's repository knows neither the artifacts nor
    // their blobs.
    const elsewhere = await v2(`/v2/templates/docs/referrers/${subject}`)
    expect(JSON.parse(elsewhere.body.toString()).manifests).toEqual([])
    const artifact = JSON.parse(a.body.toString()).manifests[0].digest as string
    const m = JSON.parse((await v2(`/v2/templates/seo/manifests/${artifact}`)).body.toString())
    expect((await v2(`/v2/templates/docs/manifests/${artifact}`)).res.status).toBe(404)
    const blob = await v2(`/v2/templates/docs/blobs/${m.layers[0].digest}`)
    expect(blob.res.status).toBe(404)
    expect(JSON.parse(blob.body.toString()).errors[0].code).toBe('BLOB_UNKNOWN')
  })
})

/** A second app over the same runtime (its own view caches). */
const fixtureApp = () => runtimeApp(f.rt)

describe('signing never fails an ingest', () => {
  it('a version whose signing fails is ready all the same, and the failure is counted', async () => {
    const failing = new Registry()
    const rt = f.rt
    rt.index.db.exec('ALTER TABLE attestations RENAME TO attestations_away')
    try {
      const dir = mkdtempSync(join(tmpdir(), 'asset-cache-repo-'))
      const commit = await commitTree(dir, { 'config.yaml': 'name: late\n' })
      const result = await ingest(
        {
          index: rt.index,
          store: rt.store,
          spoolDir: rt.spoolDir,
          now: rt.now,
          attester: createAttester({
            index: rt.index,
            key: rt.config.signingKey!,
            logger: silentLogger,
            counter: attestationCounter(failing),
            now: rt.now,
          }),
        },
        {
          template: rt.index.templates.get('empty')!,
          archive: Readable.from([await archive(dir, 'empty')]),
          expectedCommit: commit,
          source: 'cli',
        },
      )
      expect(result.status).toBe('ready')
      expect(await failing.getSingleMetricAsString('asset_cache_attestations_total')).toContain(
        'asset_cache_attestations_total{outcome="failed"} 1',
      )
    } finally {
      rt.index.db.exec('ALTER TABLE attestations_away RENAME TO attestations')
    }
  })
})

describe('asset-cache ingest', () => {
  it('signs the version it makes ready when the signing key is configured', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'asset-cache-repo-'))
    await commitTree(repo, { 'config.yaml': 'name: docs\nby: hand\n' })
    const file = join(repo, 'docs.tar.gz')
    writeFileSync(file, await archive(repo, 'docs'))
    const handle = await openArchive(file)
    const printed = await capture(() => ingestCommand(f.rt, handle, { template: 'docs' }))
    await handle.close()
    expect(printed.code).toBe(0)
    const digest = printed.stdout.trim()
    const envelopes = await (await get(`/v1/bundles/${digest}/attestations`)).json()
    const ok = verifyAttestations(envelopes, { keys: [trusted], digest, template: 'docs' })
    expect(ok.predicate).toMatchObject({ source: 'cli', delivery: null })
  })
})

describe('forgetting a template', () => {
  it('deletes the attestations of its versions with them', async () => {
    f.rt.index.templates.ensureLocal(
      'handmade',
      {
        allow: ['config.yaml'],
        require: ['config.yaml'],
      },
      Date.now(),
    )
    const made = await ingestSigned(f.rt, 'handmade', { 'config.yaml': 'name: handmade\n' })
    const count = () =>
      f.rt.index.db
        .prepare<[number], { n: number }>(
          'SELECT count(*) AS n FROM attestations WHERE version_id = ?',
        )
        .get(made.versionId)!.n
    expect(count()).toBe(1)
    expect(f.rt.index.templates.forget('handmade')).toMatchObject({ status: 'forgotten' })
    expect(count()).toBe(0)
  })
})
