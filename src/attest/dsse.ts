// DSSE envelopes (github.com/secure-systems-lab/dsse, protocol v1 and the JSON envelope):
// `{"payload": base64(body), "payloadType": type, "signatures": [{"keyid", "sig"}]}`, where each
// `sig` is an ed25519 signature over PAE(type, body):
//
//   "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
//
// LEN is the byte length in ASCII decimal without leading zeros; SP is one space. The keyid is a
// hint only: verification tries every trusted key, never chooses one by keyid.
//
// The parser takes any JSON value a server sent and returns an envelope or throws AppError
// ATTESTATION_MALFORMED: bounded sizes, strict base64 (standard or URL-safe, as the envelope
// spec allows), unknown fields ignored (the spec requires it).
import { sign, verify } from 'node:crypto'
import { AppError } from '../errors.js'
import type { SigningKey, TrustedKey } from './keys.js'

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json'

/** Decoded payload bytes accepted in one envelope. */
export const MAX_PAYLOAD_BYTES = 64 * 1024
/** Signatures looked at in one envelope. */
export const MAX_SIGNATURES = 16
const MAX_KEYID = 256
const MAX_PAYLOAD_TYPE = 256

export interface DsseSignature {
  keyid: string
  sig: Buffer
}

export interface Envelope {
  payloadType: string
  payload: Buffer
  signatures: DsseSignature[]
}

/** The JSON envelope as stored and served. */
export interface EnvelopeJson {
  payload: string
  payloadType: string
  signatures: { keyid: string; sig: string }[]
}

/** The pre-authentication encoding the signature covers. */
export function pae(payloadType: string, body: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8')
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, 'ascii'),
    type,
    Buffer.from(` ${body.length} `, 'ascii'),
    body,
  ])
}

/** An envelope of `body` signed with `key` (ed25519 is deterministic: same inputs, same bytes). */
export function signEnvelope(key: SigningKey, payloadType: string, body: Buffer): EnvelopeJson {
  const sig = sign(null, pae(payloadType, body), key.privateKey)
  return {
    payload: body.toString('base64'),
    payloadType,
    signatures: [{ keyid: key.keyid, sig: sig.toString('base64') }],
  }
}

const malformed = (message: string) => new AppError('ATTESTATION_MALFORMED', message)

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const BASE64URL = /^[A-Za-z0-9_-]*$/

/** Strict base64 of at most `max` decoded bytes, or null. */
function decodeBase64(text: string, max: number): Buffer | null {
  if (text.length > Math.ceil(max / 3) * 4) return null
  let bytes: Buffer | null = null
  if (BASE64.test(text)) bytes = Buffer.from(text, 'base64')
  else if (BASE64URL.test(text) && text.length % 4 !== 1) bytes = Buffer.from(text, 'base64url')
  return bytes !== null && bytes.length <= max ? bytes : null
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** Own property only: `__proto__` and inherited names never count as fields. */
const field = (o: Record<string, unknown>, name: string): unknown =>
  Object.hasOwn(o, name) ? o[name] : undefined

/** Reads one JSON envelope. Throws AppError ATTESTATION_MALFORMED, never anything else. */
export function parseEnvelope(value: unknown): Envelope {
  if (!isObject(value)) throw malformed('an attestation is not a JSON object')
  const payloadText = field(value, 'payload')
  const payloadType = field(value, 'payloadType')
  const signatures = field(value, 'signatures')
  if (typeof payloadText !== 'string') throw malformed('the envelope has no payload string')
  if (typeof payloadType !== 'string' || payloadType.length > MAX_PAYLOAD_TYPE) {
    throw malformed('the envelope has no payloadType string')
  }
  if (!Array.isArray(signatures)) throw malformed('the envelope has no signatures list')
  if (signatures.length > MAX_SIGNATURES) {
    throw malformed(`the envelope has more than ${MAX_SIGNATURES} signatures`)
  }
  const payload = decodeBase64(payloadText, MAX_PAYLOAD_BYTES)
  if (payload === null) {
    throw malformed(`the payload is not base64 of at most ${MAX_PAYLOAD_BYTES} bytes`)
  }
  const sigs = signatures.map((s): DsseSignature => {
    if (!isObject(s)) throw malformed('a signature is not a JSON object')
    const keyid = field(s, 'keyid') ?? ''
    const sigText = field(s, 'sig')
    if (typeof keyid !== 'string' || keyid.length > MAX_KEYID) {
      throw malformed('a signature keyid is not a short string')
    }
    const sig = typeof sigText === 'string' ? decodeBase64(sigText, 1024) : null
    if (sig === null) throw malformed('a signature sig is not base64')
    return { keyid, sig }
  })
  return { payloadType, payload, signatures: sigs }
}

/** The first trusted key one of the envelope's signatures verifies with, or null. Never throws. */
export function signedBy(envelope: Envelope, keys: readonly TrustedKey[]): TrustedKey | null {
  const message = pae(envelope.payloadType, envelope.payload)
  for (const s of envelope.signatures) {
    // An ed25519 signature is 64 bytes; anything else cannot verify.
    if (s.sig.length !== 64) continue
    for (const key of keys) {
      // TrustedKey is a plain type: one built by hand may hold any key, with which verify throws.
      if (key.publicKey.asymmetricKeyType !== 'ed25519') continue
      if (verify(null, message, key.publicKey, s.sig)) return key
    }
  }
  return null
}
