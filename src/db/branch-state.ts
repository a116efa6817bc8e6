// "Branch deleted": Gitea reports a deleted branch only with a `delete` event. The template keeps
// serving its last good bundle; the deletion is recorded as the newest entry of its version
// history — a `failed` row with no commit and the reason BRANCH_DELETED — so every view of the
// history (ls, the admin UI and API, /readyz) shows it. The branch seen again (a push to it, or a
// branch lookup that finds it) removes that entry: the state is exactly "the newest version row is
// a BRANCH_DELETED one".
import type { Db } from './open.js'

export const BRANCH_DELETED = 'BRANCH_DELETED'

export interface BranchDeleted {
  /** When the delete event arrived, ms since the epoch. */
  at: number
  /** X-Gitea-Delivery of the delete event. */
  deliveryId: string | null
}

export class BranchStateQueries {
  readonly #latest
  readonly #insert
  readonly #clear

  constructor(db: Db) {
    this.#latest = db.prepare<
      [string],
      { reason_code: string | null; created_at: number; delivery_id: string | null }
    >(
      'SELECT reason_code, created_at, delivery_id FROM versions WHERE template = ? ORDER BY id DESC LIMIT 1',
    )
    this.#insert = db.prepare(
      `INSERT INTO versions (template, commit_sha, status, reason_code, reason_detail, source,
         delivery_id, created_at, updated_at)
       VALUES (@template, NULL, 'failed', '${BRANCH_DELETED}', @detail, 'webhook', @deliveryId, @now, @now)`,
    )
    this.#clear = db.prepare(
      `DELETE FROM versions WHERE template = ? AND commit_sha IS NULL AND reason_code = '${BRANCH_DELETED}'`,
    )
  }

  /** Whether `template`'s branch was deleted (and not seen since), and when. */
  deleted(template: string): BranchDeleted | null {
    const row = this.#latest.get(template)
    if (!row || row.reason_code !== BRANCH_DELETED) return null
    return { at: row.created_at, deliveryId: row.delivery_id }
  }

  /** Records the deletion of `ref`; a second delete event while deleted records nothing new. */
  markDeleted(template: string, ref: string, deliveryId: string | null, now: number): void {
    if (this.deleted(template)) return
    this.#insert.run({
      template,
      detail: `branch ${ref} was deleted in Gitea; the last good bundle keeps serving until it is pushed again`,
      deliveryId,
      now,
    })
  }

  /** The branch exists again: forget the deletion. True when there was one. */
  clear(template: string): boolean {
    return this.#clear.run(template).changes > 0
  }
}
