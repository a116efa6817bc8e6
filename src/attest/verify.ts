// Offline verification of attestations (docs/attestations.md#verification): a bundle is accepted
// only when one envelope carries an in-toto statement, signed by a trusted key, whose subject is
// that bundle's digest and whose template is the one asked for. Nothing of a statement is read
// before its signature verifies. Failures are AppError with a stable code:
//
//   ATTESTATION_MISSING            no envelope at all
//   ATTESTATION_MALFORMED          a document that is not an envelope (or a signed payload that
//                                  is not a statement) and nothing better was found
//   ATTESTATION_UNTRUSTED          no signature verifies with a trusted key (wrong key, altered
//                                  payload or signature)
//   ATTESTATION_SUBJECT_MISMATCH   trusted statements, none about this digest
//   ATTESTATION_TEMPLATE_MISMATCH  trusted statements about this digest, none for this template
// When envelopes fail in different ways, the code is that of the one that got furthest.
import { AppError } from '../errors.js'
import { IN_TOTO_PAYLOAD_TYPE, parseEnvelope, signedBy } from './dsse.js'
import type { TrustedKey } from './keys.js'
import { parseStatement, type VerifiedBundle } from './statement.js'

/** Envelopes looked at for one bundle. */
export const MAX_ENVELOPES = 64

export interface VerifyOptions {
  keys: readonly TrustedKey[]
  digest: string
  /** The template asked for; null accepts a statement for any template (a pull by digest). */
  template: string | null
}

export interface Verified {
  keyid: string
  keySource: string
  predicate: VerifiedBundle
}

type Failure =
  | 'ATTESTATION_MALFORMED'
  | 'ATTESTATION_UNTRUSTED'
  | 'ATTESTATION_SUBJECT_MISMATCH'
  | 'ATTESTATION_TEMPLATE_MISMATCH'

/** How far an envelope got: a later failure is more telling. */
const RANK: Record<Failure, number> = {
  ATTESTATION_MALFORMED: 0,
  ATTESTATION_UNTRUSTED: 1,
  ATTESTATION_SUBJECT_MISMATCH: 2,
  ATTESTATION_TEMPLATE_MISMATCH: 3,
}

const MESSAGES: Record<Failure, (o: VerifyOptions) => string> = {
  ATTESTATION_MALFORMED: () => 'no attestation could be read',
  ATTESTATION_UNTRUSTED: (o) =>
    `no attestation is signed by a trusted key (${o.keys.length} trusted)`,
  ATTESTATION_SUBJECT_MISMATCH: (o) => `no trusted attestation is about ${o.digest}`,
  ATTESTATION_TEMPLATE_MISMATCH: (o) =>
    `no trusted attestation of ${o.digest} names the template ${JSON.stringify(o.template)}`,
}

function check(value: unknown, options: VerifyOptions): Verified | Failure {
  let envelope: ReturnType<typeof parseEnvelope>
  try {
    envelope = parseEnvelope(value)
  } catch {
    return 'ATTESTATION_MALFORMED'
  }
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) return 'ATTESTATION_MALFORMED'
  const key = signedBy(envelope, options.keys)
  if (key === null) return 'ATTESTATION_UNTRUSTED'
  let statement: ReturnType<typeof parseStatement>
  try {
    statement = parseStatement(envelope.payload)
  } catch {
    return 'ATTESTATION_MALFORMED'
  }
  if (!statement.subjects.includes(options.digest)) return 'ATTESTATION_SUBJECT_MISMATCH'
  if (options.template !== null && statement.predicate.template !== options.template) {
    return 'ATTESTATION_TEMPLATE_MISMATCH'
  }
  return { keyid: key.keyid, keySource: key.source, predicate: statement.predicate }
}

/**
 * The first acceptable attestation among `envelopes` (a JSON value as a server sent it: a list of
 * envelopes, newest first, or one envelope), tried in that order. Throws AppError with one of the codes above, never anything else
 * (TRUSTED_KEY_INVALID when `keys` is empty: nothing could verify).
 */
export function verifyAttestations(envelopes: unknown, options: VerifyOptions): Verified {
  const list = Array.isArray(envelopes) ? envelopes : [envelopes]
  if (list.length === 0) {
    throw new AppError('ATTESTATION_MISSING', `no attestation for ${options.digest}`, {
      digest: options.digest,
    })
  }
  if (options.keys.length === 0) {
    throw new AppError('TRUSTED_KEY_INVALID', 'no trusted key to verify with')
  }
  let worst: Failure = 'ATTESTATION_MALFORMED'
  for (const value of list.slice(0, MAX_ENVELOPES)) {
    const result = check(value, options)
    if (typeof result !== 'string') return result
    if (RANK[result] > RANK[worst]) worst = result
  }
  throw new AppError(worst, MESSAGES[worst](options), { digest: options.digest })
}
