// DSSE envelopes and in-toto statements on their own: openssl verifies the ed25519 signature over
// the PAE bytes (computed here independently), the parser and the verifier never throw anything
// but a coded error on hostile input, and either of two trusted keys verifies (rotation).
import { execFileSync, spawnSync } from 'node:child_process'
import { createSecretKey, generateKeyPairSync } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type EnvelopeJson,
  IN_TOTO_PAYLOAD_TYPE,
  parseEnvelope,
  signEnvelope,
  signedBy,
} from '../../src/attest/dsse.js'
import { keyidOf, loadSigningKey, loadTrustedKey } from '../../src/attest/keys.js'
import {
  PREDICATE_TYPE,
  parseStatement,
  RULES_VERSION,
  STATEMENT_TYPE,
  statementBytes,
  type VerifiedBundle,
} from '../../src/attest/statement.js'
import { verifyAttestations } from '../../src/attest/verify.js'
import { AppError } from '../../src/errors.js'
import { opensslKeyPair, writeIn } from './keys.js'

const DIGEST = `sha256:${'ab'.repeat(32)}`
const OTHER = `sha256:${'cd'.repeat(32)}`
const predicate: VerifiedBundle = {
  template: 'seo-agent',
  repository: 'acme/agent-template-seo',
  commit: 'a'.repeat(40),
  delivery: 'f3a1c2d4-0000-4000-8000-000000000001',
  source: 'webhook',
  rulesVersion: RULES_VERSION,
  fileCount: 3,
  verifiedAt: '2026-12-03T02:00:00.000Z',
}

const first = opensslKeyPair('first')
const second = opensslKeyPair('second', first.dir)
const signer = loadSigningKey(first.key)
const signer2 = loadSigningKey(second.key)
const trusted = loadTrustedKey(first.pub)
const trusted2 = loadTrustedKey(second.pub)

const envelopeOf = (digest = DIGEST, p = predicate, key = signer): EnvelopeJson =>
  signEnvelope(key, IN_TOTO_PAYLOAD_TYPE, statementBytes(digest, p))

/** PAE per the DSSE protocol, written out here rather than imported. */
function paeBytes(type: string, body: Buffer): Buffer {
  const t = Buffer.from(type)
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${t.length} `),
    t,
    Buffer.from(` ${body.length} `),
    body,
  ])
}

function opensslVerifies(pub: string, envelope: EnvelopeJson, payload?: Buffer): boolean {
  const body = payload ?? Buffer.from(envelope.payload, 'base64')
  const pae = writeIn(first.dir, 'pae.bin', paeBytes(envelope.payloadType, body))
  const sig = writeIn(first.dir, 'sig.bin', Buffer.from(envelope.signatures[0]!.sig, 'base64'))
  const run = spawnSync('openssl', [
    'pkeyutl',
    '-verify',
    '-pubin',
    '-inkey',
    pub,
    '-rawin',
    '-in',
    pae,
    '-sigfile',
    sig,
  ])
  return run.status === 0
}

const codeOf = (fn: () => unknown): string => {
  try {
    fn()
    return 'OK'
  } catch (err) {
    if (!(err instanceof AppError)) throw err
    return err.code
  }
}

describe('the envelope', () => {
  it('is a Statement v1 about the bundle digest, with the product predicate', () => {
    const env = envelopeOf()
    expect(env.payloadType).toBe('application/vnd.in-toto+json')
    const statement = JSON.parse(Buffer.from(env.payload, 'base64').toString())
    expect(statement).toEqual({
      _type: STATEMENT_TYPE,
      subject: [{ name: 'seo-agent.tar', digest: { sha256: 'ab'.repeat(32) } }],
      predicateType: PREDICATE_TYPE,
      predicate,
    })
    expect(env.signatures).toEqual([{ keyid: signer.keyid, sig: expect.any(String) }])
  })

  it('keyid is the sha256 of the DER public key, as openssl computes it', () => {
    const der = execFileSync('openssl', ['pkey', '-pubin', '-in', first.pub, '-outform', 'DER'])
    const hex = execFileSync('sha256sum', { input: der }).toString().split(' ')[0]
    expect(signer.keyid).toBe(`sha256:${hex}`)
    expect(trusted.keyid).toBe(signer.keyid)
    expect(keyidOf(signer2.publicKey)).not.toBe(signer.keyid)
  })

  it('has deterministic bytes: the same version signs to the same envelope', () => {
    expect(JSON.stringify(envelopeOf())).toBe(JSON.stringify(envelopeOf()))
  })

  it('openssl verifies the signature over the PAE bytes, and refuses a tampered payload', () => {
    const env = envelopeOf()
    expect(opensslVerifies(first.pub, env)).toBe(true)
    const tampered = Buffer.from(env.payload, 'base64')
    tampered[tampered.indexOf('seo-agent')] = 0x78
    expect(opensslVerifies(first.pub, env, tampered)).toBe(false)
    expect(opensslVerifies(second.pub, env)).toBe(false)
  })
})

describe('verifyAttestations', () => {
  const opts = { keys: [trusted], digest: DIGEST, template: 'seo-agent' }

  it('accepts a statement signed by a trusted key about this digest and template', () => {
    expect(verifyAttestations([envelopeOf()], opts)).toMatchObject({
      keyid: signer.keyid,
      predicate,
    })
    expect(verifyAttestations([envelopeOf()], { ...opts, template: null }).keyid).toBe(signer.keyid)
  })

  it('refuses with a code for each way it can be wrong', () => {
    const env = envelopeOf()
    const tampered = {
      ...env,
      payload: Buffer.from(
        Buffer.from(env.payload, 'base64').toString().replace('"fileCount":3', '"fileCount":4'),
      ).toString('base64'),
    }
    expect(codeOf(() => verifyAttestations([], opts))).toBe('ATTESTATION_MISSING')
    expect(codeOf(() => verifyAttestations([envelopeOf(DIGEST, predicate, signer2)], opts))).toBe(
      'ATTESTATION_UNTRUSTED',
    )
    expect(codeOf(() => verifyAttestations([tampered], opts))).toBe('ATTESTATION_UNTRUSTED')
    expect(codeOf(() => verifyAttestations([envelopeOf(OTHER)], opts))).toBe(
      'ATTESTATION_SUBJECT_MISMATCH',
    )
    const docs = envelopeOf(DIGEST, { ...predicate, template: 'docs-agent' })
    expect(codeOf(() => verifyAttestations([docs], opts))).toBe('ATTESTATION_TEMPLATE_MISMATCH')
    expect(codeOf(() => verifyAttestations([{ payload: 1 }], opts))).toBe('ATTESTATION_MALFORMED')
    const otherType = signEnvelope(signer, 'application/json', statementBytes(DIGEST, predicate))
    expect(codeOf(() => verifyAttestations([otherType], opts))).toBe('ATTESTATION_MALFORMED')
    const notStatement = signEnvelope(signer, IN_TOTO_PAYLOAD_TYPE, Buffer.from('{"x":1}'))
    expect(codeOf(() => verifyAttestations([notStatement], opts))).toBe('ATTESTATION_MALFORMED')
  })

  it('reports the envelope that got furthest, and accepts any good one among bad ones', () => {
    const docs = envelopeOf(DIGEST, { ...predicate, template: 'docs-agent' })
    expect(codeOf(() => verifyAttestations([{}, envelopeOf(OTHER), docs], opts))).toBe(
      'ATTESTATION_TEMPLATE_MISMATCH',
    )
    expect(verifyAttestations([{}, docs, envelopeOf()], opts).keyid).toBe(signer.keyid)
  })

  it('rotation: with two trusted keys, either one verifies', () => {
    const both = { ...opts, keys: [trusted, trusted2] }
    expect(verifyAttestations([envelopeOf()], both).keyid).toBe(signer.keyid)
    expect(verifyAttestations([envelopeOf(DIGEST, predicate, signer2)], both).keyid).toBe(
      signer2.keyid,
    )
    expect(codeOf(() => verifyAttestations([envelopeOf(DIGEST, predicate, signer2)], opts))).toBe(
      'ATTESTATION_UNTRUSTED',
    )
  })

  it('a hand-built TrustedKey that is not ed25519 is passed over, never thrown on', () => {
    // With these, crypto.verify itself throws (x25519 cannot verify; a secret key is no key pair).
    const odd = [
      generateKeyPairSync('x25519').publicKey,
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey,
      createSecretKey(Buffer.alloc(32)),
    ].map((publicKey) => ({ publicKey, keyid: 'sha256:odd', source: 'hand' }))
    const parsed = parseEnvelope(envelopeOf())
    expect(signedBy(parsed, odd)).toBeNull()
    expect(signedBy(parsed, [...odd, trusted])).toBe(trusted)
    expect(verifyAttestations([envelopeOf()], { ...opts, keys: [...odd, trusted] }).keyid).toBe(
      signer.keyid,
    )
    expect(codeOf(() => verifyAttestations([envelopeOf()], { ...opts, keys: odd }))).toBe(
      'ATTESTATION_UNTRUSTED',
    )
  })

  it('a keyid is only a hint: a signature relabelled with a trusted keyid does not verify', () => {
    const env = envelopeOf(DIGEST, predicate, signer2)
    const relabelled = { ...env, signatures: [{ ...env.signatures[0]!, keyid: signer.keyid }] }
    expect(codeOf(() => verifyAttestations([relabelled], opts))).toBe('ATTESTATION_UNTRUSTED')
  })
})

describe('bounds', () => {
  const opts = { keys: [trusted], digest: DIGEST, template: 'seo-agent' }

  it('refuses a payload over 64 KiB, more than 16 signatures, and loose base64', () => {
    const big = signEnvelope(signer, IN_TOTO_PAYLOAD_TYPE, Buffer.alloc(64 * 1024 + 1, 0x20))
    expect(codeOf(() => parseEnvelope(big))).toBe('ATTESTATION_MALFORMED')
    const env = envelopeOf()
    const many = { ...env, signatures: Array(17).fill(env.signatures[0]) }
    expect(codeOf(() => parseEnvelope(many))).toBe('ATTESTATION_MALFORMED')
    expect(
      codeOf(() => parseEnvelope({ ...env, signatures: Array(16).fill(env.signatures[0]) })),
    ).toBe('OK')
    const wrapped = { ...env, payload: `${env.payload.slice(0, 40)}\n${env.payload.slice(40)}` }
    expect(codeOf(() => parseEnvelope(wrapped))).toBe('ATTESTATION_MALFORMED')
    const urlSafe = { ...env, payload: Buffer.from(env.payload, 'base64').toString('base64url') }
    expect(verifyAttestations([urlSafe], opts).keyid).toBe(signer.keyid)
  })

  it('looks at the first 64 envelopes only', () => {
    const junk = Array(64).fill({})
    expect(codeOf(() => verifyAttestations([...junk, envelopeOf()], opts))).toBe(
      'ATTESTATION_MALFORMED',
    )
    expect(verifyAttestations([...junk.slice(1), envelopeOf()], opts).keyid).toBe(signer.keyid)
  })
})

describe('keys', () => {
  it('refuses a private key as a trusted key, and a public or non-ed25519 key as the signing key', () => {
    expect(codeOf(() => loadTrustedKey(first.key))).toBe('TRUSTED_KEY_INVALID')
    expect(codeOf(() => loadTrustedKey(writeIn(first.dir, 'junk.pub', 'junk')))).toBe(
      'TRUSTED_KEY_INVALID',
    )
    expect(codeOf(() => loadTrustedKey(`${first.dir}/absent.pub`))).toBe('TRUSTED_KEY_INVALID')
    expect(codeOf(() => loadSigningKey(first.pub))).toBe('CONFIG_INVALID')
    const rsa = writeIn(
      first.dir,
      'rsa.pem',
      execFileSync('openssl', ['genpkey', '-algorithm', 'rsa', '-pkeyopt', 'rsa_keygen_bits:1024']),
    )
    expect(codeOf(() => loadSigningKey(rsa))).toBe('CONFIG_INVALID')
  })

  it('takes the signing key inline as PEM too, and never quotes it in a message', () => {
    const pem = execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519']).toString()
    expect(loadSigningKey(pem).keyid).toMatch(/^sha256:[0-9a-f]{64}$/)
    const broken = pem.replace(/[A-Za-z0-9]{8}\n/, 'AAAAAAAA\n').replace('-----END', '!!-----END')
    try {
      loadSigningKey(broken)
    } catch (err) {
      expect((err as Error).message).not.toContain(pem.split('\n')[1]!.slice(0, 16))
    }
  })
})

describe('hostile input (property)', () => {
  const valid = envelopeOf()
  const jsonValue = fc.jsonValue({ maxDepth: 4 })
  const base64ish = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('base64')),
    fc.constant(valid.payload),
  )
  const signature = fc.record(
    {
      keyid: fc.oneof(fc.string(), jsonValue, fc.constant(signer.keyid)),
      sig: fc.oneof(base64ish, jsonValue, fc.constant(valid.signatures[0]!.sig)),
    },
    { requiredKeys: [] },
  )
  const envelope = fc.record(
    {
      payload: fc.oneof(base64ish, jsonValue),
      payloadType: fc.oneof(fc.constant(IN_TOTO_PAYLOAD_TYPE), fc.string(), jsonValue),
      signatures: fc.oneof(fc.array(signature, { maxLength: 20 }), jsonValue),
      __proto__: jsonValue,
    },
    { requiredKeys: [] },
  )
  const anything = fc.oneof(
    envelope,
    jsonValue,
    fc.array(fc.oneof(envelope, jsonValue), { maxLength: 4 }),
  )

  it('parseEnvelope and parseStatement throw only ATTESTATION_MALFORMED', () => {
    fc.assert(
      fc.property(anything, fc.uint8Array({ maxLength: 300 }), (value, bytes) => {
        expect(['OK', 'ATTESTATION_MALFORMED']).toContain(codeOf(() => parseEnvelope(value)))
        expect(['OK', 'ATTESTATION_MALFORMED']).toContain(
          codeOf(() => parseStatement(Buffer.from(bytes))),
        )
      }),
      { numRuns: 2000 },
    )
  })

  it('verifyAttestations throws only its codes and accepts nothing unsigned', () => {
    const codes = [
      'ATTESTATION_MISSING',
      'ATTESTATION_MALFORMED',
      'ATTESTATION_UNTRUSTED',
      'ATTESTATION_SUBJECT_MISMATCH',
      'ATTESTATION_TEMPLATE_MISMATCH',
    ]
    fc.assert(
      fc.property(anything, (value) => {
        const code = codeOf(() =>
          verifyAttestations(value, { keys: [trusted], digest: DIGEST, template: 'seo-agent' }),
        )
        // Only the signed payload with its own signature passes, wherever it turns up.
        if (code === 'OK') {
          const text = JSON.stringify(value)
          expect(text).toContain(valid.payload)
          expect(text).toContain(valid.signatures[0]!.sig)
        } else expect(codes).toContain(code)
      }),
      { numRuns: 2000 },
    )
  })

  it('flipping any one byte of a signed payload or signature is refused', () => {
    const payload = Buffer.from(valid.payload, 'base64')
    const sig = Buffer.from(valid.signatures[0]!.sig, 'base64')
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (inPayload, at, xor) => {
          const p = Buffer.from(payload)
          const s = Buffer.from(sig)
          if (inPayload) p[at % p.length]! ^= xor
          else s[at % s.length]! ^= xor
          const env = {
            ...valid,
            payload: p.toString('base64'),
            signatures: [{ keyid: signer.keyid, sig: s.toString('base64') }],
          }
          expect(
            codeOf(() =>
              verifyAttestations([env], { keys: [trusted], digest: DIGEST, template: 'seo-agent' }),
            ),
          ).toBe('ATTESTATION_UNTRUSTED')
        },
      ),
      { numRuns: 500 },
    )
  })
})
