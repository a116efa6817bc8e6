// A real OCI client fetches an attestation artifact: skopeo reads the artifact manifest the
// referrers API lists (by digest, byte for byte) and copies it — config and DSSE envelope
// blobs — into an OCI layout, where the envelope still verifies with the trusted key.

import { mkdtempSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadTrustedKey } from '../../src/attest/keys.js'
import { createAttester } from '../../src/attest/sign.js'
import { verifyAttestations } from '../../src/attest/verify.js'
import { ingest } from '../../src/cache/ingest.js'
import { appDeps } from '../../src/http/deps.js'
import { createListener } from '../../src/http/fast-path/listener.js'
import { silentLogger } from '../../src/log.js'
import { createMetrics } from '../../src/metrics.js'
import { MEDIA_TYPES } from '../../src/oci/image.js'
import { opensslKeyPair } from '../attest/keys.js'
import { type Fixture, fixture } from '../http/read-fixture.js'
import { archive, commitTree } from '../support/git.js'
import { missingTools, skopeoCopy, skopeoRead } from '../support/oci-tools.js'

const TOKEN = 'oci-attest-reader'
const keys = opensslKeyPair()
let f: Fixture
let server: Server
let host: string
let digest: string

beforeAll(async () => {
  f = await fixture({ ASSET_CACHE_READ_TOKENS: TOKEN, ASSET_CACHE_SIGNING_KEY: keys.key })
  const repo = mkdtempSync(join(tmpdir(), 'asset-cache-repo-'))
  const commit = await commitTree(repo, { 'config.yaml': 'name: seo\n' })
  const result = await ingest(
    {
      index: f.rt.index,
      store: f.rt.store,
      spoolDir: f.rt.spoolDir,
      now: f.rt.now,
      attester: createAttester({
        index: f.rt.index,
        key: f.rt.config.signingKey!,
        logger: silentLogger,
        now: f.rt.now,
      }),
    },
    {
      template: f.rt.index.templates.get('seo')!,
      archive: Readable.from([await archive(repo, 'seo')]),
      expectedCommit: commit,
      source: 'cli',
    },
  )
  if (result.status !== 'ready') throw new Error(result.code)
  digest = result.digest
  const { config, index, store, now } = f.rt
  server = createServer(
    createListener(
      appDeps({ config, index, store, now, logger: silentLogger, metrics: createMetrics() }),
    ),
  )
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server?.closeAllConnections()
  await new Promise((done) => server?.close(done))
  f?.rt.close()
})

const auth = { authorization: `Bearer ${TOKEN}` }

describe.skipIf(missingTools().length > 0)('skopeo and the attestation artifact', () => {
  it('reads the artifact the referrers API lists, and copies its envelope intact', async () => {
    const latest = await fetch(`http://${host}/v2/templates/seo/manifests/latest`, {
      headers: { ...auth, accept: MEDIA_TYPES.index },
    })
    const subject = latest.headers.get('docker-content-digest')!
    const referrers = await fetch(`http://${host}/v2/templates/seo/referrers/${subject}`, {
      headers: auth,
    })
    const artifact = ((await referrers.json()) as { manifests: { digest: string }[] }).manifests[0]!
      .digest
    const served = Buffer.from(
      await (
        await fetch(`http://${host}/v2/templates/seo/manifests/${artifact}`, { headers: auth })
      ).arrayBuffer(),
    )

    const ref = `docker://${host}/templates/seo@${artifact}`
    const raw = await skopeoRead('inspect', ref, { raw: true, creds: `x:${TOKEN}` })
    expect(Buffer.from(raw).equals(served)).toBe(true)

    const layout = mkdtempSync(join(tmpdir(), 'oci-attest-'))
    await skopeoCopy(ref, `oci:${layout}:attestation`, {
      srcCreds: `x:${TOKEN}`,
      preserveDigests: true,
    })
    const manifest = JSON.parse(served.toString()) as {
      subject: { digest: string }
      layers: { digest: string }[]
    }
    expect(manifest.subject.digest).toBe(subject)
    const blob = (d: string) => readFile(join(layout, 'blobs/sha256', d.slice('sha256:'.length)))
    expect((await blob(artifact)).equals(served)).toBe(true)
    const envelope = JSON.parse((await blob(manifest.layers[0]!.digest)).toString())
    const ok = verifyAttestations(envelope, {
      keys: [loadTrustedKey(keys.pub)],
      digest,
      template: 'seo',
    })
    expect(ok.predicate.template).toBe('seo')
  })
})
