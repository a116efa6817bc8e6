// The commit status of a version as admins see it: what was last queued for its commit, and how
// posting it to Gitea went.
import type { Index, TemplateRow, VersionRow } from '../db/index.js'

export interface CommitStatusView {
  state: 'pending' | 'success' | 'failure' | 'error'
  result: 'queued' | 'posted' | 'failed' | 'superseded'
  attempts: number
  httpStatus: number | null
  error: string | null
  at: number
}

export function commitStatusView(
  index: Index,
  t: TemplateRow,
  v: VersionRow,
): CommitStatusView | null {
  const row = v.commit ? index.commitStatuses.latest(t.name, v.commit) : null
  return row
    ? {
        state: row.state,
        result: row.result,
        attempts: row.attempts,
        httpStatus: row.httpStatus,
        error: row.lastError,
        at: row.updatedAt,
      }
    : null
}
