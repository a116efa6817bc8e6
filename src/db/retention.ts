// What garbage collection may never remove: the bundle a template currently serves, a pinned
// bundle (an admin's pin, or a manifest `pin:` digest in the `rules` column), and the newest N ready versions of every template (removed templates included, so a
// template put back in the manifest finds its bundles). Everything else is a candidate, least
// recently served first.
import { type BundleRow, type RawBundle, toBundleRow } from './bundles.js'
import type { Db } from './open.js'

const PROTECTED = `
  SELECT v.digest FROM templates t JOIN versions v ON v.id = t.current_version_id
    WHERE v.digest IS NOT NULL
  UNION SELECT pinned_digest FROM templates WHERE pinned_digest IS NOT NULL
  UNION SELECT json_extract(rules, '$.pin') FROM templates
    WHERE json_extract(rules, '$.pin') GLOB 'sha256:*'
  UNION SELECT digest FROM (
    SELECT digest, row_number() OVER (PARTITION BY template ORDER BY id DESC) AS n
    FROM versions WHERE status = 'ready')
    WHERE n <= @keep`

export class RetentionQueries {
  readonly #protected
  readonly #candidates
  readonly #isProtected
  readonly #usage

  constructor(db: Db) {
    this.#protected = db.prepare<{ keep: number }, { digest: string }>(PROTECTED)
    this.#candidates = db.prepare<{ keep: number }, RawBundle>(
      `WITH protected(digest) AS (${PROTECTED})
       SELECT * FROM bundles WHERE digest NOT IN (SELECT digest FROM protected)
       ORDER BY coalesce(last_served_at, created_at), digest`,
    )
    this.#isProtected = db.prepare<{ keep: number; digest: string }, { one: number }>(
      `SELECT 1 AS one FROM templates t JOIN versions v ON v.id = t.current_version_id
         WHERE v.digest = @digest
       UNION ALL SELECT 1 FROM templates WHERE pinned_digest = @digest
       UNION ALL SELECT 1 FROM templates WHERE json_extract(rules, '$.pin') = @digest
       UNION ALL SELECT 1 FROM versions v WHERE v.digest = @digest AND v.status = 'ready'
         AND (SELECT count(*) FROM versions w
              WHERE w.template = v.template AND w.status = 'ready' AND w.id > v.id) < @keep
       LIMIT 1`,
    )
    this.#usage = db.prepare<[], { bundles: number; bytes: number | null }>(
      'SELECT count(*) AS bundles, sum(size) AS bytes FROM bundles',
    )
  }

  /** Digests GC must keep when each template keeps its newest `keep` ready versions. */
  protectedDigests(keep: number): Set<string> {
    return new Set(this.#protected.all({ keep }).map((r) => r.digest))
  }

  /** Unprotected bundles, least recently served (or created, if never served) first. */
  candidates(keep: number): BundleRow[] {
    return this.#candidates.all({ keep }).map(toBundleRow)
  }

  isProtected(digest: string, keep: number): boolean {
    return this.#isProtected.get({ digest, keep }) !== undefined
  }

  /** Indexed bundles and their bytes. */
  usage(): { bundles: number; bytes: number } {
    const r = this.#usage.get()!
    return { bundles: r.bundles, bytes: r.bytes ?? 0 }
  }
}
