// The in-toto Statement v1 (github.com/in-toto/attestation, spec/v1/statement.md) every ready
// version is attested by: one subject, the bundle (`name` = `<template>.tar`, `digest.sha256` =
// the bundle digest's hex), and the predicate PREDICATE_TYPE (docs/attestations.md#predicate)
// saying what the validator checked. Serialized as canonical JSON (sorted keys, no whitespace),
// so the same version always gives the same payload bytes.
import { z } from 'zod'
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

const text = z.string().max(4096)
const predicateSchema = z.object({
  template: text,
  repository: text.nullable(),
  commit: text.nullable(),
  delivery: text.nullable(),
  source: text,
  rulesVersion: z.number().int(),
  fileCount: z.number().int().min(0),
  verifiedAt: text,
})
const statementSchema = z.object({
  _type: z.literal(STATEMENT_TYPE),
  subject: z
    .array(z.object({ name: text.optional(), digest: z.record(z.string(), z.string()) }))
    .min(1)
    .max(64),
  predicateType: z.literal(PREDICATE_TYPE),
  predicate: predicateSchema,
})

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
  const parsed = statementSchema.safeParse(value)
  if (!parsed.success) {
    throw new AppError(
      'ATTESTATION_MALFORMED',
      `the attestation payload is not an in-toto Statement v1 with predicate ${PREDICATE_TYPE}`,
    )
  }
  const subjects = parsed.data.subject
    .map((s) => (Object.hasOwn(s.digest, 'sha256') ? s.digest.sha256 : undefined))
    .filter((hex): hex is string => typeof hex === 'string' && /^[0-9a-f]{64}$/.test(hex))
    .map((hex) => `sha256:${hex}`)
  return { subjects, predicate: parsed.data.predicate }
}
