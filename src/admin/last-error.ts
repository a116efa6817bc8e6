// Why a template is not green, and what to do about it: shared by the admin views (ls, the admin
// UI and API) and /readyz.
import type { Index, JobRow, VersionRow } from '../db/index.js'
import { adviceFor } from './advice.js'

export interface LastError {
  code: string
  /** What to do about it (advice.ts): static text. */
  advice: string
  detail: string | null
  /** The archive entry a rejection names (hostile text). */
  entry: string | null
  at: number
  commit: string | null
}

/**
 * Why a template is not green: its newest version when that is rejected or failed (a deleted
 * branch included), else its newest job when that failed or is being retried.
 */
export function lastErrorOf(latestRow: VersionRow | null, jobRow: JobRow | null): LastError | null {
  if (latestRow && latestRow.status !== 'ready' && latestRow.reasonCode) {
    return {
      code: latestRow.reasonCode,
      advice: adviceFor(latestRow.reasonCode),
      detail: latestRow.reasonDetail,
      entry: latestRow.reasonEntry,
      at: latestRow.updatedAt,
      commit: latestRow.commit,
    }
  }
  if (jobRow?.lastErrorCode && jobRow.state !== 'done') {
    return {
      code: jobRow.lastErrorCode,
      advice: adviceFor(jobRow.lastErrorCode),
      detail: jobRow.lastError,
      entry: null,
      at: jobRow.updatedAt,
      commit: null,
    }
  }
  return null
}

/**
 * Tracked templates with a last error, for /readyz: name, code and advice only (no detail: the
 * probe is unauthenticated). A deleted branch is one of them; it does not make the cache unready.
 */
export function templatesNeedingAttention(
  index: Index,
): { template: string; code: string; advice: string }[] {
  return index.templates.tracked().flatMap((t) => {
    const error = lastErrorOf(
      index.versions.list(t.name, 1)[0] ?? null,
      index.jobs.forTemplate(t.name, 1)[0] ?? null,
    )
    return error ? [{ template: t.name, code: error.code, advice: error.advice }] : []
  })
}
