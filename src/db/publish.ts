// Publish state (migrations/0006): per ready version, whether its image is at the configured OCI
// registry, and what each tag points to there. Every state belongs to one target
// (`registry/namespace`): a state recorded for another target reads as never tried.
import type { Db } from './open.js'

export type PublishStatus = 'pending' | 'published' | 'failed'

export interface PublishState {
  status: PublishStatus
  /** A stable code (ERROR_CODES) for the last failure; null once published. */
  error: string | null
  attempts: number
  /** When a failed version is tried again. */
  nextAt: number | null
  publishedAt: number | null
}

interface RawState {
  publish_target: string | null
  publish_status: PublishStatus | null
  publish_error: string | null
  publish_attempts: number
  publish_next_at: number | null
  published_at: number | null
}

export class PublishQueries {
  readonly #state
  readonly #pending
  readonly #published
  readonly #failed
  readonly #tags
  readonly #setTag
  readonly #mountable

  constructor(db: Db) {
    this.#state = db.prepare<[number], RawState>(
      `SELECT publish_target, publish_status, publish_error, publish_attempts, publish_next_at,
        published_at FROM versions WHERE id = ?`,
    )
    // Attempts count per target: a state recorded for another target starts again from zero.
    const attempts = (add: number) =>
      `publish_attempts = CASE WHEN publish_target IS @target THEN publish_attempts + ${add} ELSE ${add} END, publish_target = @target`
    this.#pending = db.prepare<{ target: string; id: number }>(
      `UPDATE versions SET publish_status = 'pending', publish_error = NULL,
        publish_next_at = NULL, ${attempts(0)} WHERE id = @id`,
    )
    this.#published = db.prepare<{ target: string; id: number; now: number }>(
      `UPDATE versions SET publish_status = 'published', publish_error = NULL,
        publish_next_at = NULL, published_at = @now, ${attempts(1)} WHERE id = @id`,
    )
    this.#failed = db.prepare<{ target: string; id: number; code: string; nextAt: number }>(
      `UPDATE versions SET publish_status = 'failed', publish_error = @code,
        publish_next_at = @nextAt, published_at = NULL, ${attempts(1)} WHERE id = @id`,
    )
    this.#tags = db.prepare<[string, string], { tag: string; digest: string }>(
      'SELECT tag, digest FROM published_tags WHERE target = ? AND template = ?',
    )
    this.#setTag = db.prepare<[string, string, string, string, number]>(
      `INSERT INTO published_tags (target, template, tag, digest, pushed_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (target, template, tag) DO UPDATE SET digest = excluded.digest,
         pushed_at = excluded.pushed_at`,
    )
    this.#mountable = db.prepare<[string, string, string], { template: string }>(
      `SELECT template FROM versions WHERE digest = ? AND publish_target = ?
        AND publish_status = 'published' AND template <> ? ORDER BY id DESC LIMIT 1`,
    )
  }

  /** The publish state of version `id` for `target`, or null when it was never tried there. */
  state(id: number, target: string): PublishState | null {
    const raw = this.#state.get(id)
    if (!raw || raw.publish_status === null || raw.publish_target !== target) return null
    return {
      status: raw.publish_status,
      error: raw.publish_error,
      attempts: raw.publish_attempts,
      nextAt: raw.publish_next_at,
      publishedAt: raw.published_at,
    }
  }

  markPending(id: number, target: string): void {
    this.#pending.run({ target, id })
  }

  markPublished(id: number, target: string, now: number): void {
    this.#published.run({ target, id, now })
  }

  markFailed(id: number, target: string, code: string, nextAt: number): void {
    this.#failed.run({ target, id, code, nextAt })
  }

  /** tag → manifest digest, as last pushed for `template` to `target`. */
  tags(target: string, template: string): Map<string, string> {
    return new Map(this.#tags.all(target, template).map((r) => [r.tag, r.digest]))
  }

  setTag(target: string, template: string, tag: string, digest: string, now: number): void {
    this.#setTag.run(target, template, tag, digest, now)
  }

  /** Another template whose published image holds the bundle `digest` (a mount source), or null. */
  mountSource(target: string, digest: string, template: string): string | null {
    return this.#mountable.get(digest, target, template)?.template ?? null
  }
}
