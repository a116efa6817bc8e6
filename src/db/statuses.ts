// Commit status rows: the queue of statuses to post to Gitea and the outcome of each post.
import type { Db } from './open.js'

export type CommitState = 'pending' | 'success' | 'failure' | 'error'
export type StatusResult = 'queued' | 'posted' | 'failed' | 'superseded'

export interface StatusInput {
  template: string
  repo: string
  commit: string
  state: CommitState
  context: string
  description: string
  targetUrl: string | null
}

export interface StatusRow extends StatusInput {
  id: number
  result: StatusResult
  attempts: number
  nextAt: number
  httpStatus: number | null
  lastError: string | null
  createdAt: number
  updatedAt: number
}

interface RawStatus {
  id: number
  template: string
  repo: string
  commit_sha: string
  state: CommitState
  context: string
  description: string
  target_url: string | null
  result: StatusResult
  attempts: number
  next_at: number
  http_status: number | null
  last_error: string | null
  created_at: number
  updated_at: number
}

const toRow = (r: RawStatus): StatusRow => ({
  id: r.id,
  template: r.template,
  repo: r.repo,
  commit: r.commit_sha,
  state: r.state,
  context: r.context,
  description: r.description,
  targetUrl: r.target_url,
  result: r.result,
  attempts: r.attempts,
  nextAt: r.next_at,
  httpStatus: r.http_status,
  lastError: r.last_error,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})

export class CommitStatusQueries {
  readonly #insert
  readonly #supersede
  readonly #due
  readonly #settle
  readonly #retry
  readonly #latest
  readonly #queued
  readonly #prune
  readonly #db: Db

  constructor(db: Db) {
    this.#db = db
    this.#insert = db.prepare<
      [string, string, string, string, string, string, string | null, number, number, number]
    >(
      `INSERT INTO commit_statuses
         (template, repo, commit_sha, state, context, description, target_url, next_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    // An older status of the same commit and context still waiting is never worth posting: Gitea
    // shows the newest per context, and posting the old one after would only flash it.
    this.#supersede = db.prepare<[number, string, string, string, number]>(
      `UPDATE commit_statuses SET result = 'superseded', updated_at = ?
       WHERE repo = ? AND commit_sha = ? AND context = ? AND result = 'queued' AND id < ?`,
    )
    this.#due = db.prepare<[number, number], RawStatus>(
      `SELECT * FROM commit_statuses WHERE result = 'queued' AND next_at <= ? ORDER BY id LIMIT ?`,
    )
    this.#settle = db.prepare<[StatusResult, number | null, string | null, number, number]>(
      `UPDATE commit_statuses
       SET result = ?, http_status = ?, last_error = ?, attempts = attempts + 1, updated_at = ?
       WHERE id = ? AND result = 'queued'`,
    )
    this.#retry = db.prepare<[number, number | null, string | null, number, number]>(
      `UPDATE commit_statuses
       SET next_at = ?, http_status = ?, last_error = ?, attempts = attempts + 1, updated_at = ?
       WHERE id = ? AND result = 'queued'`,
    )
    this.#latest = db.prepare<[string, string], RawStatus>(
      `SELECT * FROM commit_statuses WHERE template = ? AND commit_sha = ? ORDER BY id DESC LIMIT 1`,
    )
    this.#queued = db.prepare<[], { n: number; next: number | null }>(
      `SELECT count(*) AS n, min(next_at) AS next FROM commit_statuses WHERE result = 'queued'`,
    )
    this.#prune = db.prepare<[number]>(
      `DELETE FROM commit_statuses WHERE result <> 'queued' AND updated_at < ?`,
    )
  }

  /** Queues a status; an older one of the same commit and context still queued is superseded. */
  enqueue(input: StatusInput, now: number): number {
    return this.#db.transaction(() => {
      const id = Number(
        this.#insert.run(
          input.template,
          input.repo,
          input.commit,
          input.state,
          input.context,
          input.description,
          input.targetUrl,
          now,
          now,
          now,
        ).lastInsertRowid,
      )
      this.#supersede.run(now, input.repo, input.commit, input.context, id)
      return id
    })()
  }

  /** Queued rows whose time has come, oldest first. */
  due(now: number, limit: number): StatusRow[] {
    return this.#due.all(now, limit).map(toRow)
  }

  /** The post is over: `posted`, or `failed` for good. */
  settle(
    id: number,
    result: 'posted' | 'failed',
    httpStatus: number | null,
    error: string | null,
    now: number,
  ): void {
    this.#settle.run(result, httpStatus, error, now, id)
  }

  /** The post failed and will be tried again at `nextAt`. */
  retry(
    id: number,
    nextAt: number,
    httpStatus: number | null,
    error: string | null,
    now: number,
  ): void {
    this.#retry.run(nextAt, httpStatus, error, now, id)
  }

  /** The newest status of one version (template and commit), whatever its result. */
  latest(template: string, commit: string): StatusRow | null {
    const row = this.#latest.get(template, commit)
    return row ? toRow(row) : null
  }

  /** How many wait, and the earliest time one is due. */
  queued(): { count: number; nextAt: number | null } {
    const row = this.#queued.get()!
    return { count: row.n, nextAt: row.next }
  }

  /** Removes settled rows last touched before `before`; returns how many. */
  prune(before: number): number {
    return this.#prune.run(before).changes
  }
}
