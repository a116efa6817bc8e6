// Signing ready versions (docs/attestations.md): the statement of a version is built from the
// index alone (its template, repository, commit, delivery, file count and ready time), so
// signing it again — at ingest, or later with `asset-cache attestation sign` — gives the same
// envelope bytes. Signing never fails an ingest: a failure is logged and counted, and the version
// stays ready (a later `attestation sign` catches it up).
import { Counter, type Registry } from 'prom-client'
import type { Index } from '../db/index.js'
import type { Logger } from '../log.js'
import { IN_TOTO_PAYLOAD_TYPE, signEnvelope } from './dsse.js'
import type { SigningKey } from './keys.js'
import { RULES_VERSION, statementBytes, type VerifiedBundle } from './statement.js'

export type SignOutcome = 'signed' | 'present' | 'skipped'

/** The envelope JSON of ready version `versionId`, or null when it is not a ready version. */
export function versionEnvelope(index: Index, key: SigningKey, versionId: number): string | null {
  const version = index.versions.get(versionId)
  if (version?.status !== 'ready' || version.digest === null) return null
  const template = index.templates.get(version.template)
  const predicate: VerifiedBundle = {
    template: version.template,
    repository: template?.repo ?? null,
    commit: version.commit,
    delivery: version.deliveryId,
    source: version.source,
    rulesVersion: RULES_VERSION,
    fileCount: version.fileCount ?? 0,
    verifiedAt: new Date(version.readyAt ?? version.updatedAt).toISOString(),
  }
  const body = statementBytes(version.digest, predicate)
  return JSON.stringify(signEnvelope(key, IN_TOTO_PAYLOAD_TYPE, body))
}

/** Signs one version with `key` unless it already has an envelope by it. Throws on failure. */
export function signVersion(
  index: Index,
  key: SigningKey,
  versionId: number,
  now: number,
): SignOutcome {
  const version = index.versions.get(versionId)
  if (version?.status !== 'ready' || version.digest === null) return 'skipped'
  if (index.attestations.has(versionId, version.digest, key.keyid)) return 'present'
  const envelope = versionEnvelope(index, key, versionId)
  if (envelope === null) return 'skipped'
  index.attestations.insert(versionId, version.digest, key.keyid, envelope, now)
  return 'signed'
}

export interface Attester {
  /** Signs a version that just became ready. Never throws. */
  attest(versionId: number): void
}

/**
 * asset_cache_attestations_total{outcome} on `registry`: one per version signed at ingest, or
 * failed. Registers it: ask once per registry (Metrics.attestations() does).
 */
export function attestationCounter(registry: Registry): Counter<'outcome'> {
  return new Counter({
    name: 'asset_cache_attestations_total',
    help: 'Ready versions signed at ingest (outcome signed), or whose signing failed (failed).',
    labelNames: ['outcome'],
    registers: [registry],
  })
}

export interface AttesterOptions {
  index: Index
  key: SigningKey
  logger: Logger
  counter?: Counter<'outcome'>
  now: () => number
}

export function createAttester(options: AttesterOptions): Attester {
  const { index, key, logger, counter, now } = options
  return {
    attest(versionId) {
      try {
        const outcome = signVersion(index, key, versionId, now())
        if (outcome === 'signed') counter?.inc({ outcome: 'signed' })
      } catch (err) {
        counter?.inc({ outcome: 'failed' })
        try {
          logger.error({ versionId, keyid: key.keyid, err }, 'could not sign the version')
        } catch {}
      }
    },
  }
}
