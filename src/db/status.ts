// Operational status read from the index at scrape or probe time (/metrics, /readyz): which
// templates lack a ready current version, how far behind the branch heads the cache is, version
// and store totals. Read-only SQL over the schema in migrations/; statements prepared once, with the index.
import type { Statement } from 'better-sqlite3'
import { BRANCH_DELETED } from './branch-state.js'
import type { Db } from './open.js'

// Tracked: named by the applied manifest (db/template-sync.ts isTracked).
const TRACKED = 't.removed_at IS NULL AND t.repo IS NOT NULL'

// A manifest `pin:` this replica cannot serve yet: a digest it has no bundle of, or a commit it
// has no ready version of (templates.rules holds the pin).
const PIN_MISSING = `(
  json_extract(t.rules, '$.pin') GLOB 'sha256:*'
    AND NOT EXISTS (SELECT 1 FROM bundles AS b WHERE b.digest = json_extract(t.rules, '$.pin'))
  OR json_extract(t.rules, '$.pin') NOT GLOB 'sha256:*'
    AND NOT EXISTS (SELECT 1 FROM versions AS p WHERE p.template = t.name
      AND p.commit_sha = json_extract(t.rules, '$.pin') AND p.status = 'ready'))`

/** Read-only aggregate queries over the index (one instance per Index). */
export class StatusQueries {
  readonly #notReady: Statement<[], { name: string }>
  readonly #behindSince: Statement<[], { since: number | null }>
  readonly #versions: Statement<[], { status: string; reason: string; n: number }>
  readonly #storeBytes: Statement<[], { bytes: number }>

  constructor(db: Db) {
    this.#notReady = db.prepare<[], { name: string }>(
      `SELECT t.name FROM templates AS t LEFT JOIN versions AS v ON v.id = t.current_version_id
         WHERE ${TRACKED} AND (v.id IS NULL OR v.status <> 'ready' OR ${PIN_MISSING})
         ORDER BY t.name`,
    )
    // See reconcileLagSeconds for what each branch of the union stands for.
    this.#behindSince = db.prepare<[], { since: number | null }>(
      `SELECT min(since) AS since FROM (
           SELECT t.created_at AS since FROM templates AS t
             LEFT JOIN versions AS v ON v.id = t.current_version_id
             WHERE ${TRACKED} AND (v.id IS NULL OR v.status <> 'ready')
           UNION ALL
           SELECT j.created_at FROM jobs AS j JOIN templates AS t ON t.name = j.template
             WHERE ${TRACKED} AND j.state IN ('queued', 'running')
           UNION ALL
           SELECT nv.created_at FROM templates AS t
             JOIN versions AS nv ON nv.id = (SELECT max(id) FROM versions WHERE template = t.name)
             WHERE ${TRACKED} AND nv.status <> 'ready'
               AND coalesce(nv.reason_code, '') <> '${BRANCH_DELETED}'
           UNION ALL
           SELECT nj.created_at FROM templates AS t
             JOIN jobs AS nj ON nj.id = (SELECT max(id) FROM jobs WHERE template = t.name)
             WHERE ${TRACKED} AND nj.state = 'failed')`,
    )
    this.#versions = db.prepare<[], { status: string; reason: string; n: number }>(
      `SELECT status, coalesce(reason_code, '') AS reason, count(*) AS n
         FROM versions GROUP BY status, reason`,
    )
    this.#storeBytes = db.prepare<[], { bytes: number }>(
      'SELECT coalesce(sum(size), 0) AS bytes FROM bundles',
    )
  }

  /**
   * Tracked templates (named by the applied manifest) whose current version is missing or not
   * ready, by name. Untracked ones — ingested by hand, or removed — never hold readiness back: a
   * mistyped `ingest --untracked` must not keep /readyz at 503.
   */
  templatesNotReady(): string[] {
    return this.#notReady.all().map((r) => r.name)
  }

  /**
   * Seconds since the oldest tracked, active template fell behind its branch head; 0 when none is.
   * A template is behind from the earliest of: its creation, while it has no ready current version;
   * the creation of a queued or running job (a push or reconcile found the head moved); the
   * creation of its newest version when that version is rejected or failed (the head is not
   * served; a deleted branch has no head to be behind); the creation of its newest job when that
   * job failed. Nothing here asks Gitea, so a push whose webhook was lost counts only from the
   * reconcile that queues it.
   */
  reconcileLagSeconds(now: number): number {
    const since = this.#behindSince.get()?.since ?? null
    return since === null ? 0 : Math.max(0, (now - since) / 1000)
  }

  /** Version rows by status and reason code ('' for none, as for ready ones). */
  versionCounts(): { status: string; reason: string; n: number }[] {
    return this.#versions.all()
  }

  /** Bytes of every indexed bundle: what GC weighs against the budget (no directory walk). */
  indexedStoreBytes(): number {
    return this.#storeBytes.get()?.bytes ?? 0
  }
}
