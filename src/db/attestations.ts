// Attestation rows (migrations/0005): the DSSE envelope of each ready version, per bundle digest
// and signing key. Envelopes are stored as the JSON text served.
import type { Db } from './open.js'

export interface AttestationRow {
  versionId: number
  template: string
  commit: string | null
  digest: string
  keyid: string
  envelope: string
}

interface RawAttestation {
  version_id: number
  template: string
  commit_sha: string | null
  digest: string
  keyid: string
  envelope: string
}

const toRow = (r: RawAttestation): AttestationRow => ({
  versionId: r.version_id,
  template: r.template,
  commit: r.commit_sha,
  digest: r.digest,
  keyid: r.keyid,
  envelope: r.envelope,
})

/** A ready version that has no attestation by a key yet. */
export interface UnsignedVersion {
  versionId: number
  template: string
}

export class AttestationQueries {
  readonly #insert
  readonly #byDigest
  readonly #newest
  readonly #newestOf
  readonly #has
  readonly #signedAt
  readonly #unsigned
  readonly #unsignedOf

  constructor(db: Db) {
    this.#insert = db.prepare(
      `INSERT OR IGNORE INTO attestations (version_id, digest, keyid, envelope, created_at)
       VALUES (?, ?, ?, ?, ?)`,
    )
    // Only envelopes of versions that still carry that digest: a rebuilt version's old one is history.
    this.#byDigest = db.prepare<[string], RawAttestation>(
      `SELECT a.version_id, v.template, v.commit_sha, a.digest, a.keyid, a.envelope
       FROM attestations a JOIN versions v ON v.id = a.version_id AND v.digest = a.digest
       WHERE a.digest = ? AND v.status = 'ready'
       ORDER BY a.version_id, a.keyid`,
    )
    // What a client needs to verify: per template and key, only the newest version's envelope,
    // newest first, so the answer stays small however many versions built the same bundle.
    const newest = `SELECT version_id, template, commit_sha, digest, keyid, envelope FROM (
         SELECT a.version_id, v.template, v.commit_sha, a.digest, a.keyid, a.envelope,
           ROW_NUMBER() OVER (PARTITION BY v.template, a.keyid ORDER BY a.version_id DESC) AS n
         FROM attestations a JOIN versions v ON v.id = a.version_id AND v.digest = a.digest
         WHERE a.digest = @digest AND v.status = 'ready'`
    const newestEnd = ') WHERE n = 1 ORDER BY version_id DESC, keyid'
    this.#newest = db.prepare<{ digest: string }, RawAttestation>(`${newest}${newestEnd}`)
    this.#newestOf = db.prepare<{ digest: string; template: string }, RawAttestation>(
      `${newest} AND v.template = @template${newestEnd}`,
    )
    this.#has = db.prepare<[number, string, string], { one: number }>(
      'SELECT 1 AS one FROM attestations WHERE version_id = ? AND digest = ? AND keyid = ?',
    )
    this.#signedAt = db.prepare<[number, string], { at: number | null }>(
      'SELECT MAX(created_at) AS at FROM attestations WHERE version_id = ? AND digest = ?',
    )
    const unsigned = `SELECT v.id AS versionId, v.template AS template FROM versions v
       WHERE v.status = 'ready' AND NOT EXISTS (
         SELECT 1 FROM attestations a
         WHERE a.version_id = v.id AND a.digest = v.digest AND a.keyid = @keyid)`
    this.#unsigned = db.prepare<{ keyid: string }, UnsignedVersion>(`${unsigned} ORDER BY v.id`)
    this.#unsignedOf = db.prepare<{ keyid: string; template: string }, UnsignedVersion>(
      `${unsigned} AND v.template = @template ORDER BY v.id`,
    )
  }

  /** Records an envelope; a second one for the same version, digest and key is ignored. */
  insert(versionId: number, digest: string, keyid: string, envelope: string, now: number): void {
    this.#insert.run(versionId, digest, keyid, envelope, now)
  }

  has(versionId: number, digest: string, keyid: string): boolean {
    return this.#has.get(versionId, digest, keyid) !== undefined
  }

  /** When version `versionId` (of bundle `digest`) was last signed, by any key; null: never. */
  signedAt(versionId: number, digest: string): number | null {
    return this.#signedAt.get(versionId, digest)?.at ?? null
  }

  /**
   * Whether version `versionId` (building `digest`) was signed at or after `since` (null: never
   * published), so that a push made before then may lack its attestations.
   */
  signedSince(versionId: number, digest: string, since: number | null): boolean {
    const at = this.signedAt(versionId, digest)
    return at !== null && (since === null || at >= since)
  }

  /** Envelopes whose subject is `digest`, of ready versions that still build it, oldest first. */
  byDigest(digest: string): AttestationRow[] {
    return this.#byDigest.all(digest).map(toRow)
  }

  /**
   * The newest envelope per template and key whose subject is `digest` (of `template` only, when
   * given), newest first: the answer of the attestation route.
   */
  newestByDigest(digest: string, template?: string): AttestationRow[] {
    const rows =
      template === undefined
        ? this.#newest.all({ digest })
        : this.#newestOf.all({ digest, template })
    return rows.map(toRow)
  }

  /** Ready versions (of `template`, or all) without an envelope by `keyid`, oldest first. */
  unsigned(keyid: string, template?: string): UnsignedVersion[] {
    return template === undefined
      ? this.#unsigned.all({ keyid })
      : this.#unsignedOf.all({ keyid, template })
  }
}
