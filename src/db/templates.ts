// Template rows: the manifest's templates, their current version and pin.
import type { TemplateSpec } from '../config.js'
import type { Db } from './open.js'
import type { TemplateRow } from './template-row.js'
import { isTracked, planSync, type SyncOptions, type SyncPlan } from './template-sync.js'

export type { TemplateRow } from './template-row.js'
export type { SyncOptions, SyncPlan } from './template-sync.js'

interface RawTemplate {
  name: string
  repo: string | null
  ref: string | null
  rules: string
  current_version_id: number | null
  pinned_digest: string | null
  pinned_at: number | null
  created_at: number
  updated_at: number
  removed_at: number | null
}

function toRow(raw: RawTemplate): TemplateRow {
  // `rules` holds the manifest's per-template settings: allow, require and pin.
  const rules = JSON.parse(raw.rules) as { allow: string[]; require: string[]; pin?: string }
  return {
    name: raw.name,
    repo: raw.repo,
    ref: raw.ref,
    allow: rules.allow,
    require: rules.require,
    currentVersionId: raw.current_version_id,
    pinnedDigest: raw.pinned_digest,
    pinnedAt: raw.pinned_at,
    manifestPin: rules.pin ?? null,
    createdAt: raw.created_at,
    updatedAt: raw.updated_at,
    removedAt: raw.removed_at,
  }
}

/** The `rules` column of a manifest template: allow, require, and pin when it has one. */
export const manifestRules = (s: Pick<TemplateSpec, 'allow' | 'require' | 'pin'>): string =>
  JSON.stringify({ allow: s.allow, require: s.require, ...(s.pin ? { pin: s.pin } : {}) })

export type ForgetResult =
  | { status: 'forgotten'; versions: number; jobs: number }
  | { status: 'unknown' | 'tracked' | 'busy' }

export class TemplateQueries {
  readonly #db: Db
  readonly #get
  readonly #all
  readonly #byRepoRef
  readonly #upsert
  readonly #markRemoved
  readonly #setCurrent
  readonly #pin
  readonly #forget

  constructor(db: Db) {
    this.#db = db
    this.#get = db.prepare<[string], RawTemplate>('SELECT * FROM templates WHERE name = ?')
    this.#all = db.prepare<[], RawTemplate>('SELECT * FROM templates ORDER BY name')
    this.#byRepoRef = db.prepare<[string, string], RawTemplate>(
      'SELECT * FROM templates WHERE repo_key = ? AND ref = ? AND removed_at IS NULL ORDER BY name',
    )
    this.#upsert = db.prepare(
      `INSERT INTO templates (name, repo, repo_key, ref, rules, created_at, updated_at)
       VALUES (@name, @repo, lower(@repo), @ref, @rules, @now, @now)
       ON CONFLICT (name) DO UPDATE SET
         repo = excluded.repo, repo_key = excluded.repo_key, ref = excluded.ref,
         rules = excluded.rules, removed_at = NULL,
         updated_at = CASE WHEN templates.repo IS excluded.repo AND templates.ref IS excluded.ref
                            AND templates.rules = excluded.rules AND templates.removed_at IS NULL
                      THEN templates.updated_at ELSE excluded.updated_at END`,
    )
    this.#markRemoved = db.prepare(
      'UPDATE templates SET removed_at = ?, updated_at = ? WHERE removed_at IS NULL AND repo IS NOT NULL AND name NOT IN (SELECT value FROM json_each(?))',
    )
    this.#setCurrent = db.prepare(
      'UPDATE templates SET current_version_id = ?, updated_at = ? WHERE name = ?',
    )
    this.#pin = db.prepare(
      'UPDATE templates SET pinned_digest = ?, pinned_at = ?, updated_at = ? WHERE name = ?',
    )
    this.#forget = {
      running: db.prepare<[string], { id: number }>(
        "SELECT id FROM jobs WHERE template = ? AND state = 'running' LIMIT 1",
      ),
      unlink: db.prepare('UPDATE templates SET current_version_id = NULL WHERE name = ?'),
      jobs: db.prepare('DELETE FROM jobs WHERE template = ?'),
      versions: db.prepare('DELETE FROM versions WHERE template = ?'),
      template: db.prepare('DELETE FROM templates WHERE name = ?'),
    }
  }

  get(name: string): TemplateRow | null {
    const raw = this.#get.get(name)
    return raw ? toRow(raw) : null
  }

  /** Every template, including ones removed from the manifest (their history stays). */
  all(): TemplateRow[] {
    return this.#all.all().map(toRow)
  }

  /** Templates the applied manifest names (a repository, not removed), by name. */
  tracked(): TemplateRow[] {
    return this.all().filter(isTracked)
  }

  /** Active templates tracking `repo` (any case) at branch `ref`. */
  tracking(repo: string, ref: string): TemplateRow[] {
    return this.#byRepoRef.all(repo.toLowerCase(), ref).map(toRow)
  }

  /** What sync() would change; writes nothing. */
  plan(specs: TemplateSpec[], options: SyncOptions = {}): SyncPlan {
    return planSync(this.all(), specs, options)
  }

  /**
   * Makes the tracked set match the manifest: upsert each spec, mark the tracked ones it lacks
   * removed. An empty manifest removes nothing unless `allowEmpty` (see template-sync.ts).
   */
  sync(specs: TemplateSpec[], options: SyncOptions & { now: number }): SyncPlan {
    const { now } = options
    return this.#db
      .transaction(() => {
        const plan = this.plan(specs, options)
        for (const s of specs) {
          this.#upsert.run({
            name: s.name,
            repo: s.repo,
            ref: s.ref,
            rules: manifestRules(s),
            now,
          })
        }
        if (plan.removed.length > 0) {
          this.#markRemoved.run(now, now, JSON.stringify(specs.map((s) => s.name)))
        }
        return plan
      })
      .immediate()
  }

  /** A template known only from a hand ingest (no repository): created with the given rules if absent. */
  ensureLocal(
    name: string,
    rules: { allow: string[]; require: string[] },
    now: number,
  ): TemplateRow {
    const existing = this.get(name)
    if (existing) return existing
    this.#upsert.run({ name, repo: null, ref: null, rules: JSON.stringify(rules), now })
    return this.get(name)!
  }

  /**
   * Deletes an untracked template (hand-ingested, or removed from the manifest) with its versions
   * and jobs. Its bundles stay, indexed, until GC finds no version keeping them. A tracked
   * template, or one with a running job, is left alone and said so.
   */
  forget(name: string): ForgetResult {
    return this.#db
      .transaction((): ForgetResult => {
        const t = this.get(name)
        if (!t) return { status: 'unknown' }
        if (isTracked(t)) return { status: 'tracked' }
        if (this.#forget.running.get(name)) return { status: 'busy' }
        this.#forget.unlink.run(name)
        const jobs = this.#forget.jobs.run(name).changes
        const versions = this.#forget.versions.run(name).changes
        this.#forget.template.run(name)
        return { status: 'forgotten', versions, jobs }
      })
      .immediate()
  }

  setCurrent(name: string, versionId: number, now: number): void {
    this.#setCurrent.run(versionId, now, name)
  }

  /** Pins `name` to `digest`, or unpins it with null. Which digests are allowed is the caller's check. */
  setPin(name: string, digest: string | null, now: number): void {
    this.#pin.run(digest, digest === null ? null : now, now, name)
  }
}
