// The in-toto Statement v1 (github.com/in-toto/attestation, spec/v1/statement.md) every ready
// version is attested by: one subject, the bundle (`name` = `<template>.tar`, `digest.sha256` =
// the bundle digest's hex), and the predicate PREDICATE_TYPE (docs/attestations.md#predicate)
// saying what the validator checked. Serialized as canonical JSON (sorted keys, no whitespace),
// so the same version always gives the same payload bytes.
import { AppError } from '../errors.js'
import { canonicalBytes } from '../oci/canonical-json.js'

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1'
export const PREDICATE_TYPE = 'https://asset-cache.dev/attestation/verified-bundle/v1'
/**
 * The validator's rules version: raised whenever a release changes what an archive must satisfy
 * to become a bundle (docs/security.md#hostile-archives), so a statement says which rules held.
 */
export const RULES_VERSION = 1

export interface VerifiedBundle {
  template: string
  /** `owner/name` as configured; null for a template ingested by hand. */
  repository: string | null
  commit: string | null
  /** X-Gitea-Delivery of the webhook whose job produced the version, when one did. */
  delivery: string | null
  /** Where the version came from: webhook, reconcile, admin or cli. */
  source: string
  rulesVersion: number
  fileCount: number
  /** When the version became ready (RFC 3339, UTC, milliseconds). */
  verifiedAt: string
}

export interface Statement {
  digest: string
  predicate: VerifiedBundle
}

/** The statement's payload bytes for the bundle `digest`. */
export function statementBytes(digest: string, predicate: VerifiedBundle): Buffer {
  return canonicalBytes({
    _type: STATEMENT_TYPE,
    subject: [
      { name: `${predicate.template}.tar`, digest: { sha256: digest.slice('sha256:'.length) } },
    ],
    predicateType: PREDICATE_TYPE,
    predicate: { ...predicate },
  })
}

const MAX_TEXT = 4096
const MAX_SUBJECTS = 64

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
/** An own field only: `__proto__` and inherited names are never fields. */
const field = (o: Record<string, unknown>, name: string): unknown =>
  Object.hasOwn(o, name) ? o[name] : undefined
const isText = (v: unknown): v is string => typeof v === 'string' && v.length <= MAX_TEXT
const isTextOrNull = (v: unknown): v is string | null => v === null || isText(v)
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0

/** The predicate's fields, checked one by one (unknown fields are ignored, as the spec asks). */
function predicateOf(value: unknown): VerifiedBundle | null {
  if (!isObject(value)) return null
  const p = {
    template: field(value, 'template'),
    repository: field(value, 'repository'),
    commit: field(value, 'commit'),
    delivery: field(value, 'delivery'),
    source: field(value, 'source'),
    rulesVersion: field(value, 'rulesVersion'),
    fileCount: field(value, 'fileCount'),
    verifiedAt: field(value, 'verifiedAt'),
  }
  const ok =
    isText(p.template) &&
    isTextOrNull(p.repository) &&
    isTextOrNull(p.commit) &&
    isTextOrNull(p.delivery) &&
    isText(p.source) &&
    isCount(p.rulesVersion) &&
    isCount(p.fileCount) &&
    isText(p.verifiedAt)
  return ok ? (p as VerifiedBundle) : null
}

/** The sha256 digests (`sha256:<hex>`) the subjects name; null when the list is malformed. */
function subjectsOf(value: unknown): string[] | null {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_SUBJECTS) return null
  const digests: string[] = []
  for (const s of value) {
    if (!isObject(s)) return null
    const digest = field(s, 'digest')
    if (!isObject(digest)) return null
    const hex = field(digest, 'sha256')
    if (typeof hex === 'string' && /^[0-9a-f]{64}$/.test(hex)) digests.push(`sha256:${hex}`)
  }
  return digests
}

/**
 * The statement in `payload` and the sha256 digests of its subjects. Throws AppError
 * ATTESTATION_MALFORMED for anything but a Statement v1 with this product's predicate.
 */
export function parseStatement(payload: Buffer): { subjects: string[]; predicate: VerifiedBundle } {
  let value: unknown
  try {
    value = JSON.parse(payload.toString('utf8'))
  } catch {
    throw new AppError('ATTESTATION_MALFORMED', 'the attestation payload is not JSON')
  }
  const statement = isObject(value) ? value : {}
  const subjects = subjectsOf(field(statement, 'subject'))
  const predicate = predicateOf(field(statement, 'predicate'))
  if (
    field(statement, '_type') !== STATEMENT_TYPE ||
    field(statement, 'predicateType') !== PREDICATE_TYPE ||
    subjects === null ||
    predicate === null
  ) {
    throw new AppError(
      'ATTESTATION_MALFORMED',
      `the attestation payload is not an in-toto Statement v1 with predicate ${PREDICATE_TYPE}`,
    )
  }
  return { subjects, predicate }
}
