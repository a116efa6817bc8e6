// pull --trust against a real server on loopback with a real ed25519 key (openssl): a bundle is
// written only with an attestation signed by a trusted key, about its digest, for the template
// asked for. Every refusal happens before anything is written: the directory is compared before
// and after. The hostile attestations are rows written into the server's index, as someone who
// can change the index (or a mirror) would.

import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { IN_TOTO_PAYLOAD_TYPE, signEnvelope } from '../../src/attest/dsse.js'
import { loadSigningKey } from '../../src/attest/keys.js'
import { createAttester } from '../../src/attest/sign.js'
import { RULES_VERSION, statementBytes, type VerifiedBundle } from '../../src/attest/statement.js'
import { verifyAttestations } from '../../src/attest/verify.js'
import { ingest } from '../../src/cache/ingest.js'
import {
  attestationSignCommand,
  attestationVerifyCommand,
  type VerifyCliOptions,
} from '../../src/cli/attestation.js'
import { loadTrustedKey, pull } from '../../src/client/index.js'
import { silentLogger } from '../../src/log.js'
import { opensslKeyPair } from '../attest/keys.js'
import { type Fixture, fixture, type Listening, listenFixture } from '../http/read-fixture.js'
import { cli } from '../support/cli.js'
import { archive, commitTree } from '../support/git.js'
import { capture } from './capture.js'
import { snapshot } from './snapshot.js'

const TOKEN = 'trust-reader'
const keyA = opensslKeyPair('a')
const keyB = opensslKeyPair('b', keyA.dir)
const signerA = loadSigningKey(keyA.key)
const trustA = loadTrustedKey(keyA.pub)
const trustB = loadTrustedKey(keyB.pub)

let f: Fixture
let served: Listening
let base: string
const digests: Record<string, string> = {}
const versions: Record<string, number> = {}
let dir: string

async function ingestOne(template: string, content: string, signed: boolean) {
  const repo = await mkdtemp(join(tmpdir(), 'asset-cache-repo-'))
  const commit = await commitTree(repo, { 'config.yaml': content })
  const result = await ingest(
    {
      index: f.rt.index,
      store: f.rt.store,
      spoolDir: f.rt.spoolDir,
      now: f.rt.now,
      attester: signed
        ? createAttester({ index: f.rt.index, key: signerA, logger: silentLogger, now: f.rt.now })
        : null,
    },
    {
      template: f.rt.index.templates.get(template)!,
      archive: Readable.from([await archive(repo, template)]),
      expectedCommit: commit,
      source: 'cli',
    },
  )
  if (result.status !== 'ready') throw new Error(result.code)
  digests[template] = result.digest
  versions[template] = result.versionId
}

const predicate = (template: string): VerifiedBundle => ({
  template,
  repository: null,
  commit: null,
  delivery: null,
  source: 'cli',
  rulesVersion: RULES_VERSION,
  fileCount: 1,
  verifiedAt: '2026-12-03T00:00:00.000Z',
})

/** Puts `envelope` into the index as an attestation of the unsigned `empty` bundle. */
function plant(envelope: object): void {
  f.rt.index.db.prepare('DELETE FROM attestations WHERE version_id = ?').run(versions.empty)
  f.rt.index.attestations.insert(
    versions.empty!,
    digests.empty!,
    'planted',
    JSON.stringify(envelope),
    Date.now(),
  )
}

beforeAll(async () => {
  f = await fixture({ ASSET_CACHE_READ_TOKENS: TOKEN, ASSET_CACHE_SIGNING_KEY: keyA.key })
  await ingestOne('seo', 'name: seo\n', true)
  await ingestOne('docs', 'name: docs\n', true)
  await ingestOne('empty', 'name: empty\n', false)
  served = await listenFixture(f)
  base = served.base
})

afterAll(async () => {
  await served.close()
  f?.rt.close()
})

beforeEach(async () => {
  f.rt.index.db.prepare('DELETE FROM attestations WHERE version_id = ?').run(versions.empty)
  dir = await mkdtemp(join(tmpdir(), 'pull-trust-'))
  await mkdir(join(dir, 'notes'))
  await writeFile(join(dir, 'notes/keep.md'), 'mine\n')
})

async function refused(target: string, trust = [trustA]): Promise<string> {
  const before = await snapshot(dir)
  let code = 'none'
  try {
    await pull(base, target, { into: dir, token: TOKEN, trust })
  } catch (err) {
    code = (err as { code: string }).code
  }
  expect(await snapshot(dir)).toEqual(before)
  return code
}

describe('pull with trusted keys', () => {
  it('writes a bundle attested by a trusted key, by template or by digest', async () => {
    const r = await pull(base, 'seo', { into: dir, token: TOKEN, trust: [trustA] })
    expect(r).toMatchObject({ status: 'pulled', digest: digests.seo })
    expect(await readFile(join(dir, 'config.yaml'), 'utf8')).toBe('name: seo\n')
    const other = await mkdtemp(join(tmpdir(), 'pull-trust-'))
    const d = await pull(base, digests.docs!, { into: other, token: TOKEN, trust: [trustA] })
    expect(d.status).toBe('pulled')
  })

  it('rotation: with two trusted keys, a bundle signed by either is written', async () => {
    const r = await pull(base, 'seo', { into: dir, token: TOKEN, trust: [trustB, trustA] })
    expect(r.status).toBe('pulled')
  })

  it('refuses a bundle without an attestation, and writes nothing', async () => {
    expect(await refused('empty')).toBe('ATTESTATION_MISSING')
  })

  it('refuses a bundle signed only by a key it does not trust, and writes nothing', async () => {
    expect(await refused('seo', [trustB])).toBe('ATTESTATION_UNTRUSTED')
  })

  it('refuses a statement about another digest, and writes nothing', async () => {
    const body = statementBytes(digests.seo!, predicate('empty'))
    plant(signEnvelope(signerA, IN_TOTO_PAYLOAD_TYPE, body))
    expect(await refused('empty')).toBe('ATTESTATION_SUBJECT_MISMATCH')
    expect(await refused(digests.empty!)).toBe('ATTESTATION_SUBJECT_MISMATCH')
  })

  it('refuses a statement for another template, and writes nothing', async () => {
    const body = statementBytes(digests.empty!, predicate('seo'))
    plant(signEnvelope(signerA, IN_TOTO_PAYLOAD_TYPE, body))
    expect(await refused('empty')).toBe('ATTESTATION_TEMPLATE_MISMATCH')
  })

  it('refuses a tampered payload, and writes nothing', async () => {
    const good = signEnvelope(
      signerA,
      IN_TOTO_PAYLOAD_TYPE,
      statementBytes(digests.empty!, predicate('empty')),
    )
    plant(good)
    const ok = await pull(base, 'empty', {
      into: await mkdtemp(join(tmpdir(), 'pt-')),
      token: TOKEN,
      trust: [trustA],
    })
    expect(ok.status).toBe('pulled')
    const text = Buffer.from(good.payload, 'base64')
      .toString()
      .replace('"fileCount":1', '"fileCount":9')
    plant({ ...good, payload: Buffer.from(text).toString('base64') })
    expect(await refused('empty')).toBe('ATTESTATION_UNTRUSTED')
  })

  it('vouches for what DIR already holds: unchanged only with a valid attestation', async () => {
    // Pulled without keys first (as from a mirror nobody checked), then asked again with them.
    const plain = await pull(base, 'empty', { into: dir, token: TOKEN })
    expect(plain.status).toBe('pulled')
    expect(await refused('empty')).toBe('ATTESTATION_MISSING')
    expect(await refused(digests.empty!)).toBe('ATTESTATION_MISSING')
    const seo = await pull(base, 'seo', { into: dir, token: TOKEN })
    expect(seo.status).toBe('pulled')
    for (const target of ['seo', digests.seo!]) {
      const again = await pull(base, target, { into: dir, token: TOKEN, trust: [trustA] })
      expect(again).toEqual({ status: 'unchanged', digest: digests.seo })
    }
    expect(await refused('seo', [trustB])).toBe('ATTESTATION_UNTRUSTED')
  })

  it('refuses hostile answers: not JSON envelopes at all', async () => {
    plant({ payload: '!!', payloadType: 7, signatures: 'x' })
    expect(await refused('empty')).toBe('ATTESTATION_MALFORMED')
  })
})

describe('the CLI', { timeout: 180_000 }, () => {
  const env = () => ({ ASSET_CACHE_SERVER: base, ASSET_CACHE_TOKEN: TOKEN })

  it('pull --trust writes an attested bundle; ASSET_CACHE_TRUSTED_KEYS does the same', async () => {
    const a = await cli(
      ['pull', 'seo', '--into', dir, '--trust', keyB.pub, '--trust', keyA.pub],
      env(),
    )
    expect(a.code).toBe(0)
    const other = await mkdtemp(join(tmpdir(), 'pull-trust-'))
    const b = await cli(['pull', 'seo', '--into', other], {
      ...env(),
      ASSET_CACHE_TRUSTED_KEYS: `${keyB.pub},${keyA.pub}`,
    })
    expect(b.code).toBe(0)
  })

  it('pull --trust refuses (exit 1, the code on stderr) and writes nothing', async () => {
    const before = await snapshot(dir)
    const r = await cli(['pull', 'empty', '--into', dir, '--trust', keyA.pub], env())
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('ATTESTATION_MISSING')
    const env2 = { ...env(), ASSET_CACHE_TRUSTED_KEYS: keyB.pub }
    const w = await cli(['pull', 'seo', '--into', dir], env2)
    expect([w.code, w.stderr.includes('ATTESTATION_UNTRUSTED')]).toEqual([1, true])
    // --trust replaces ASSET_CACHE_TRUSTED_KEYS: the key in the environment no longer counts.
    const env3 = { ...env(), ASSET_CACHE_TRUSTED_KEYS: keyA.pub }
    const o = await cli(['pull', 'seo', '--into', dir, '--trust', keyB.pub], env3)
    expect([o.code, o.stderr.includes('ATTESTATION_UNTRUSTED')]).toEqual([1, true])
    expect(await snapshot(dir)).toEqual(before)
  })

  it('a trusted key that is not an ed25519 public key, or --trust with oci://, is a usage error', async () => {
    const bad = await cli(['pull', 'seo', '--into', dir, '--trust', keyA.key], env())
    expect([bad.code, bad.stderr.includes('TRUSTED_KEY_INVALID')]).toEqual([2, true])
    // Set, but naming no file: verification does not quietly turn off.
    const before = await snapshot(dir)
    for (const command of [
      ['pull', 'seo', '--into', dir],
      ['attestation', 'verify', digests.seo!],
    ]) {
      const none = await cli(command, { ...env(), ASSET_CACHE_TRUSTED_KEYS: ' , ' })
      expect([none.code, none.stderr.includes('TRUSTED_KEY_INVALID')], command[0]).toEqual([
        2,
        true,
      ])
    }
    expect(await snapshot(dir)).toEqual(before)
    const oci = await cli(
      ['pull', 'oci://127.0.0.1:1/templates/seo', '--into', dir, '--trust', keyA.pub],
      env(),
    )
    expect(oci.code).toBe(2)
  })

  it('attestation verify checks a digest against the server, or a bundle file with its envelopes', async () => {
    const ok = await cli(
      ['attestation', 'verify', digests.seo!, '--trust', keyA.pub, '--template', 'seo'],
      env(),
    )
    expect(ok.code).toBe(0)
    expect(ok.stdout).toContain(`verified ${digests.seo}`)
    const verify = (target: string, opts: VerifyCliOptions) =>
      capture(() => attestationVerifyCommand(target, { server: base, token: TOKEN, ...opts }))
    const wrong = await verify(digests.seo!, { trust: [keyB.pub] })
    expect([wrong.code, wrong.stderr.includes('ATTESTATION_UNTRUSTED')]).toEqual([1, true])
    const other = await verify(digests.seo!, { trust: [keyA.pub], template: 'docs' })
    expect([other.code, other.stderr.includes('ATTESTATION_TEMPLATE_MISMATCH')]).toEqual([1, true])

    const tar = join(dir, 'bundle.tar')
    const size = f.rt.index.bundles.get(digests.seo!)!.size
    await writeFile(tar, await f.rt.store.read(digests.seo!, size))
    const envelopes = join(dir, 'envelopes.json')
    const rows = f.rt.index.attestations.byDigest(digests.seo!)
    await writeFile(envelopes, JSON.stringify(rows.map((r) => JSON.parse(r.envelope))))
    const offline = { attestation: envelopes, trust: [keyA.pub], server: 'http://127.0.0.1:1' }
    expect((await verify(tar, offline)).code).toBe(0)
    await writeFile(tar, Buffer.concat([await readFile(tar), Buffer.alloc(512)]))
    const altered = await verify(tar, offline)
    expect([altered.code, altered.stderr.includes('ATTESTATION_SUBJECT_MISMATCH')]).toEqual([
      1,
      true,
    ])
    expect((await verify(tar, { attestation: envelopes, trust: [] })).code).toBe(2)
  })

  it('attestation sign signs what was ingested before the key, once', async () => {
    const data = {
      ASSET_CACHE_DATA_DIR: f.rt.config.dataDir,
      ASSET_CACHE_SIGNING_KEY: keyA.key,
      ASSET_CACHE_LOG_LEVEL: 'silent',
    }
    const first = await cli(['attestation', 'sign', '--all', '--json'], data)
    expect(first.code).toBe(0)
    expect(JSON.parse(first.stdout)).toEqual({
      keyid: signerA.keyid,
      signed: [{ versionId: versions.empty, template: 'empty' }],
    })
    const again = await capture(() => attestationSignCommand(f.rt, 'empty', {}))
    expect([again.code, again.stdout]).toEqual([0, ''])
    expect(again.stderr).toContain('0 versions signed')
    const ok = await pull(base, 'empty', { into: dir, token: TOKEN, trust: [trustA] })
    expect(ok.status).toBe('pulled')
    const usage = await cli(['attestation', 'sign'], data)
    expect([usage.code, usage.stderr.includes('INVALID_ARGUMENT')]).toEqual([2, true])
    const unsigned = { ...f.rt, config: { ...f.rt.config, signingKey: null } }
    expect(() => attestationSignCommand(unsigned, undefined, { all: true })).toThrow(
      expect.objectContaining({ code: 'SIGNING_OFF' }),
    )
  })
})

describe('a bundle built by many signed versions', () => {
  /** A ready version of `template` whose bundle is `digest`, signed with key A. */
  function signedVersion(template: string, digest: string, n: number): number {
    const now = Date.now()
    const { lastInsertRowid } = f.rt.index.db
      .prepare(
        `INSERT INTO versions (template, commit_sha, digest, status, source, file_count,
           created_at, updated_at, ready_at) VALUES (?, ?, ?, 'ready', 'cli', 1, ?, ?, ?)`,
      )
      .run(template, n.toString(16).padStart(40, '0'), digest, now, now, now)
    const id = Number(lastInsertRowid)
    createAttester({ index: f.rt.index, key: signerA, logger: silentLogger, now: f.rt.now }).attest(
      id,
    )
    return id
  }

  it('verifies the newest version of the template asked for, past 64 of another template', async () => {
    const digest = digests.seo!
    f.rt.index.db.prepare('DELETE FROM attestations WHERE version_id = ?').run(versions.seo)
    for (let n = 1; n <= 70; n++) signedVersion('docs', digest, n)
    const newest = signedVersion('seo', digest, 71)

    const res = await fetch(`${base}/v1/bundles/${digest}/attestations`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    })
    const all = (await res.json()) as unknown[]
    // One envelope per template and key, the newest first.
    const first = verifyAttestations(all.slice(0, 1), { keys: [trustA], digest, template: 'seo' })
    expect(all).toHaveLength(2)
    expect(first.predicate.commit).toBe((71).toString(16).padStart(40, '0'))
    const only = await fetch(`${base}/v1/bundles/${digest}/attestations?template=docs`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    })
    const docs = (await only.json()) as unknown[]
    expect(docs).toHaveLength(1)
    expect(
      verifyAttestations(docs, { keys: [trustA], digest, template: 'docs' }).predicate.commit,
    ).toBe((70).toString(16).padStart(40, '0'))

    const r = await pull(base, 'seo', { into: dir, token: TOKEN, trust: [trustA] })
    expect(r).toMatchObject({ status: 'pulled', digest })
    expect(f.rt.index.attestations.byDigest(digest).map((row) => row.versionId)).toContain(newest)
  })
})
