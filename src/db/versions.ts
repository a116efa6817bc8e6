// Version rows: what became of each (template, commit) — ready with a digest, rejected, or failed.
import type { Db } from './open.js'

export type VersionStatus = 'ready' | 'rejected' | 'failed'
export type VersionSource = 'cli' | 'webhook' | 'reconcile' | 'admin'

export interface VersionStats {
  compressedBytes?: number | null
  unpackedBytes?: number | null
  bundleBytes?: number | null
  entryCount?: number | null
  fileCount?: number | null
  skippedCount?: number | null
  durationMs?: number | null
}

export interface VersionInput extends VersionStats {
  template: string
  commit: string | null
  status: VersionStatus
  digest?: string | null
  reasonCode?: string | null
  reasonDetail?: string | null
  /** The archive entry a rejection names; stored capped (MAX_REASON_ENTRY). */
  reasonEntry?: string | null
  source: VersionSource
  jobId?: number | null
  deliveryId?: string | null
}

export interface VersionRow extends Required<VersionStats> {
  id: number
  template: string
  commit: string | null
  digest: string | null
  status: VersionStatus
  reasonCode: string | null
  reasonDetail: string | null
  reasonEntry: string | null
  source: VersionSource
  jobId: number | null
  deliveryId: string | null
  createdAt: number
  updatedAt: number
  readyAt: number | null
}

/**
 * Longest entry path a version records, in code points. A legitimate path is at most 1024 bytes;
 * a hostile one (a GNU long name) can be 64 KiB, and every view of the history would repeat it.
 */
export const MAX_REASON_ENTRY = 1024

/** `entry` cut to MAX_REASON_ENTRY code points (never inside a surrogate pair), `…` marking a cut. */
export function capReasonEntry(entry: string): string {
  if (entry.length <= MAX_REASON_ENTRY) return entry
  const points = Array.from(entry)
  return points.length <= MAX_REASON_ENTRY
    ? entry
    : `${points.slice(0, MAX_REASON_ENTRY - 1).join('')}…`
}

interface RawVersion {
  id: number
  template: string
  commit_sha: string | null
  digest: string | null
  status: VersionStatus
  reason_code: string | null
  reason_detail: string | null
  reason_entry: string | null
  source: VersionSource
  compressed_bytes: number | null
  unpacked_bytes: number | null
  bundle_bytes: number | null
  entry_count: number | null
  file_count: number | null
  skipped_count: number | null
  duration_ms: number | null
  job_id: number | null
  delivery_id: string | null
  created_at: number
  updated_at: number
  ready_at: number | null
}

const toRow = (r: RawVersion): VersionRow => ({
  id: r.id,
  template: r.template,
  commit: r.commit_sha,
  digest: r.digest,
  status: r.status,
  reasonCode: r.reason_code,
  reasonDetail: r.reason_detail,
  reasonEntry: r.reason_entry,
  source: r.source,
  compressedBytes: r.compressed_bytes,
  unpackedBytes: r.unpacked_bytes,
  bundleBytes: r.bundle_bytes,
  entryCount: r.entry_count,
  fileCount: r.file_count,
  skippedCount: r.skipped_count,
  durationMs: r.duration_ms,
  jobId: r.job_id,
  deliveryId: r.delivery_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  readyAt: r.ready_at,
})

export class VersionQueries {
  readonly #get
  readonly #byCommit
  readonly #list
  readonly #readyWithDigest
  readonly #upsert
  readonly #insertNoCommit

  constructor(db: Db) {
    this.#get = db.prepare<[number], RawVersion>('SELECT * FROM versions WHERE id = ?')
    this.#byCommit = db.prepare<[string, string], RawVersion>(
      'SELECT * FROM versions WHERE template = ? AND commit_sha = ?',
    )
    this.#list = db.prepare<[string, number], RawVersion>(
      'SELECT * FROM versions WHERE template = ? ORDER BY id DESC LIMIT ?',
    )
    this.#readyWithDigest = db.prepare<[string, string], RawVersion>(
      "SELECT * FROM versions WHERE digest = ? AND template = ? AND status = 'ready' ORDER BY id DESC LIMIT 1",
    )
    // A retry of the same commit updates its row; a ready row is never downgraded by a
    // later failed download of the same commit.
    const columns = `template, commit_sha, digest, status, reason_code, reason_detail, reason_entry, source,
      compressed_bytes, unpacked_bytes, bundle_bytes, entry_count, file_count, skipped_count,
      duration_ms, job_id, delivery_id, created_at, updated_at, ready_at`
    const values = `@template, @commit, @digest, @status, @reasonCode, @reasonDetail, @reasonEntry, @source,
      @compressedBytes, @unpackedBytes, @bundleBytes, @entryCount, @fileCount, @skippedCount,
      @durationMs, @jobId, @deliveryId, @now, @now, @readyAt`
    this.#upsert = db.prepare<Record<string, unknown>, { id: number }>(
      `INSERT INTO versions (${columns}) VALUES (${values})
       ON CONFLICT (template, commit_sha) DO UPDATE SET
         digest = excluded.digest, status = excluded.status, reason_code = excluded.reason_code,
         reason_detail = excluded.reason_detail, reason_entry = excluded.reason_entry,
         source = excluded.source,
         compressed_bytes = excluded.compressed_bytes, unpacked_bytes = excluded.unpacked_bytes,
         bundle_bytes = excluded.bundle_bytes, entry_count = excluded.entry_count,
         file_count = excluded.file_count, skipped_count = excluded.skipped_count,
         duration_ms = excluded.duration_ms, job_id = excluded.job_id,
         delivery_id = excluded.delivery_id, updated_at = excluded.updated_at,
         ready_at = coalesce(versions.ready_at, excluded.ready_at)
       WHERE versions.status <> 'ready' OR excluded.status = 'ready'
       RETURNING id`,
    )
    this.#insertNoCommit = db.prepare<Record<string, unknown>, { id: number }>(
      `INSERT INTO versions (${columns}) VALUES (${values}) RETURNING id`,
    )
  }

  get(id: number): VersionRow | null {
    const raw = this.#get.get(id)
    return raw ? toRow(raw) : null
  }

  byCommit(template: string, commit: string): VersionRow | null {
    const raw = this.#byCommit.get(template, commit)
    return raw ? toRow(raw) : null
  }

  /** Newest first. */
  list(template: string, limit = 100): VersionRow[] {
    return this.#list.all(template, limit).map(toRow)
  }

  /** The newest ready version of `template` whose bundle is `digest`, or null (any age). */
  readyWithDigest(template: string, digest: string): VersionRow | null {
    const raw = this.#readyWithDigest.get(digest, template)
    return raw ? toRow(raw) : null
  }

  /** Records the outcome for (template, commit); returns the row id (the existing one on a retry). */
  record(v: VersionInput, now: number): number {
    const params = {
      template: v.template,
      commit: v.commit,
      digest: v.digest ?? null,
      status: v.status,
      reasonCode: v.reasonCode ?? null,
      reasonDetail: v.reasonDetail ?? null,
      reasonEntry: v.reasonEntry == null ? null : capReasonEntry(v.reasonEntry),
      source: v.source,
      compressedBytes: v.compressedBytes ?? null,
      unpackedBytes: v.unpackedBytes ?? null,
      bundleBytes: v.bundleBytes ?? null,
      entryCount: v.entryCount ?? null,
      fileCount: v.fileCount ?? null,
      skippedCount: v.skippedCount ?? null,
      durationMs: v.durationMs ?? null,
      jobId: v.jobId ?? null,
      deliveryId: v.deliveryId ?? null,
      now,
      readyAt: v.status === 'ready' ? now : null,
    }
    if (v.commit === null) return this.#insertNoCommit.get(params)!.id
    const row = this.#upsert.get(params)
    // The WHERE clause kept a ready row: report that row.
    return row ? row.id : this.byCommit(v.template, v.commit)!.id
  }
}
