import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { type Index, loadMigrations, migrate, openDb, openIndex } from '../../src/db/index.js'
import { AppError } from '../../src/errors.js'

const spec = (name: string, repo = 'Acme/Agent-Template', ref = 'main') => ({
  name,
  repo,
  ref,
  allow: ['config.yaml'],
  require: ['config.yaml'],
})
const digest = (c: string) => `sha256:${c.repeat(64)}`

let opened: Index[] = []
function freshIndex(): Index {
  const index = openIndex(join(mkdtempSync(join(tmpdir(), 'asset-cache-db-')), 'index.db'))
  opened.push(index)
  return index
}
afterEach(() => {
  for (const i of opened) i.close()
  opened = []
})

describe('open', () => {
  it('uses WAL and NORMAL sync (webhook batches commit FULL: test/unit/group-commit.test.ts)', () => {
    const { db } = freshIndex()
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    // 1 = NORMAL (0 OFF, 2 FULL, 3 EXTRA)
    expect(db.pragma('synchronous', { simple: true })).toBe(1)
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
  })
})

describe('migrations', () => {
  it('applies every migration once, in order, and records it', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'asset-cache-db-')), 'index.db')
    const db = openDb(file)
    const first = migrate(db)
    expect(first.from).toBe(0)
    expect(first.applied[0]).toBe('0001_init')
    expect(migrate(db).applied).toEqual([])
    const rows = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all()
    expect(rows).toEqual(loadMigrations().map((m) => ({ version: m.version, name: m.name })))
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    db.close()
  })

  it('keeps every delivery across 0003, which lets a delivery be recorded as failed', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'asset-cache-db-')), 'index.db')
    const db = openDb(file)
    migrate(db, loadMigrations().slice(0, 2))
    const insert = db.prepare(
      `INSERT INTO deliveries (delivery_id, event, repo, repo_key, ref, after_sha, outcome, reason, received_at)
       VALUES (?, 'push', 'Acme/T', 'acme/t', 'main', ?, ?, ?, ?)`,
    )
    insert.run('d-1', 'a'.repeat(40), 'queued', null, 1)
    insert.run('d-2', 'b'.repeat(40), 'duplicate', 'same after', 2)
    expect(() => insert.run('d-3', null, 'failed', 'x', 3)).toThrow(/CHECK/)
    const before = db.prepare('SELECT * FROM deliveries ORDER BY id').all()
    migrate(db)
    expect(db.prepare('SELECT * FROM deliveries ORDER BY id').all()).toEqual(before)
    insert.run('d-3', null, 'failed', 'internal error', 3)
    expect(() => insert.run('d-4', null, 'lost', 'x', 4)).toThrow(/CHECK/)
    const indexes = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'deliveries'")
      .all()
      .map((r) => (r as { name: string }).name)
      .sort()
    expect(indexes).toEqual([
      'deliveries_by_delivery_id',
      'deliveries_by_received',
      'deliveries_by_repo_ref_newest',
    ])
    db.close()
  })

  it('keeps every version across the migration that adds the rejected entry', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'asset-cache-db-')), 'index.db')
    const db = openDb(file)
    const all = loadMigrations()
    migrate(
      db,
      all.slice(
        0,
        all.findIndex((m) => m.name === 'version_reason_entry'),
      ),
    )
    db.prepare(
      `INSERT INTO templates (name, rules, created_at, updated_at) VALUES ('a', '{}', 1, 1)`,
    ).run()
    db.prepare(
      `INSERT INTO versions (template, commit_sha, status, reason_code, source, created_at, updated_at)
       VALUES ('a', ?, 'rejected', 'AGENT_OWNED_PATH', 'webhook', 1, 1)`,
    ).run('c'.repeat(40))
    migrate(db)
    db.close()
    const index = openIndex(file)
    opened.push(index)
    expect(index.versions.list('a')).toEqual([
      expect.objectContaining({ reasonCode: 'AGENT_OWNED_PATH', reasonEntry: null }),
    ])
  })

  it('refuses a database written by newer code', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'asset-cache-db-')), 'index.db')
    const db = openDb(file)
    migrate(db)
    db.prepare('INSERT INTO schema_migrations VALUES (999, ?, ?)').run('future', Date.now())
    db.close()
    expect(() => openIndex(file)).toThrow(expect.objectContaining({ code: 'DB_TOO_NEW' }))
    try {
      openIndex(file)
    } catch (err) {
      expect(err).toBeInstanceOf(AppError)
      expect((err as AppError).context).toMatchObject({ found: 999 })
    }
  })

  it('rolls a failing migration back entirely and records nothing for it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'asset-cache-mig-'))
    mkdirSync(join(dir, 'm'))
    writeFileSync(join(dir, 'm', '0001_one.sql'), 'CREATE TABLE a (x INTEGER);')
    writeFileSync(
      join(dir, 'm', '0002_two.sql'),
      'CREATE TABLE b (x INTEGER); INSERT INTO nope VALUES (1);',
    )
    const db = openDb(join(dir, 'index.db'))
    expect(() => migrate(db, loadMigrations(join(dir, 'm')))).toThrow(/nope/)
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all()
    expect(tables).toContain('a')
    expect(tables).not.toContain('b')
    expect(db.prepare('SELECT max(version) FROM schema_migrations').pluck().get()).toBe(1)
    db.close()
  })

  it('refuses a gap in the numbering', () => {
    const dir = mkdtempSync(join(tmpdir(), 'asset-cache-mig-'))
    writeFileSync(join(dir, '0001_one.sql'), '')
    writeFileSync(join(dir, '0003_three.sql'), '')
    expect(() => loadMigrations(dir)).toThrow(/gap/)
  })
})

describe('templates', () => {
  it('syncs with the manifest, matching repositories case-insensitively', () => {
    const index = freshIndex()
    index.templates.sync([spec('a'), spec('b', 'acme/other')], { now: Date.now() })
    expect(index.templates.tracking('ACME/agent-template', 'main').map((t) => t.name)).toEqual([
      'a',
    ])
    expect(index.templates.tracking('acme/agent-template', 'dev')).toEqual([])
    index.templates.sync([spec('b', 'acme/other')], { now: Date.now() })
    expect(index.templates.get('a')?.removedAt).not.toBeNull()
    expect(index.templates.tracking('acme/agent-template', 'main')).toEqual([])
    index.templates.sync([spec('a'), spec('b', 'acme/other')], { now: Date.now() })
    expect(index.templates.get('a')?.removedAt).toBeNull()
  })

  it('removes nothing for an empty manifest unless allowEmpty, and reports every change', () => {
    const index = freshIndex()
    expect(
      index.templates.sync([spec('a'), spec('b', 'acme/other')], { now: Date.now() }),
    ).toMatchObject({
      added: ['a', 'b'],
      removed: [],
    })
    const empty = index.templates.sync([], { now: Date.now() })
    expect(empty).toMatchObject({ removed: [], kept: ['a', 'b'] })
    expect(index.templates.tracked().map((t) => t.name)).toEqual(['a', 'b'])
    // A plan writes nothing.
    expect(index.templates.plan([], { allowEmpty: true })).toMatchObject({ removed: ['a', 'b'] })
    expect(index.templates.tracked()).toHaveLength(2)
    expect(index.templates.sync([spec('a', 'acme/moved')], { now: Date.now() })).toMatchObject({
      updated: ['a'],
      removed: ['b'],
      kept: [],
    })
    expect(
      index.templates.sync([spec('a', 'acme/moved'), spec('b', 'acme/other')], { now: Date.now() }),
    ).toMatchObject({
      unchanged: ['a'],
      restored: ['b'],
    })
    expect(index.templates.sync([], { allowEmpty: true, now: Date.now() })).toMatchObject({
      removed: ['a', 'b'],
    })
    expect(index.templates.tracked()).toEqual([])
  })

  it('keeps hand-ingested templates out of manifest removal', () => {
    const index = freshIndex()
    index.templates.ensureLocal('local', { allow: ['**'], require: [] }, Date.now())
    index.templates.sync([], { allowEmpty: true, now: Date.now() })
    expect(index.templates.get('local')?.removedAt).toBeNull()
    expect(index.templates.get('local')?.repo).toBeNull()
  })
})

describe('versions', () => {
  it('keeps one row per (template, commit); a retry updates it, a failure never downgrades ready', () => {
    const index = freshIndex()
    index.templates.sync([spec('a')], { now: Date.now() })
    const commit = 'c'.repeat(40)
    const failed = index.versions.record(
      {
        template: 'a',
        commit,
        status: 'failed',
        reasonCode: 'TRUNCATED',
        source: 'webhook',
      },
      Date.now(),
    )
    index.transaction(() => index.bundles.insert(digest('a'), 10, [], Date.now()))
    const ready = index.versions.record(
      {
        template: 'a',
        commit,
        status: 'ready',
        digest: digest('a'),
        source: 'reconcile',
      },
      Date.now(),
    )
    expect(ready).toBe(failed)
    const again = index.versions.record(
      {
        template: 'a',
        commit,
        status: 'failed',
        reasonCode: 'TIMEOUT',
        source: 'webhook',
      },
      Date.now(),
    )
    expect(again).toBe(ready)
    const row = index.versions.byCommit('a', commit)!
    expect(row).toMatchObject({
      status: 'ready',
      digest: digest('a'),
      reasonCode: null,
      source: 'reconcile',
    })
    expect(row.readyAt).not.toBeNull()
    expect(index.versions.list('a')).toHaveLength(1)
  })

  it('refuses a ready row without a digest and a digest on a rejected row', () => {
    const index = freshIndex()
    index.templates.sync([spec('a')], { now: Date.now() })
    expect(() =>
      index.versions.record(
        { template: 'a', commit: 'x', status: 'ready', source: 'cli' },
        Date.now(),
      ),
    ).toThrow()
    expect(() =>
      index.versions.record(
        {
          template: 'a',
          commit: 'y',
          status: 'rejected',
          digest: digest('b'),
          source: 'cli',
        },
        Date.now(),
      ),
    ).toThrow()
  })

  it('records the entry a rejection names, capped at 1024 code points', () => {
    const index = freshIndex()
    index.templates.sync([spec('a')], { now: Date.now() })
    const record = (commit: string, reasonEntry: string | null) =>
      index.versions.get(
        index.versions.record(
          {
            template: 'a',
            commit: commit.repeat(40),
            status: 'rejected',
            reasonCode: 'PATH_TOO_LONG',
            reasonEntry,
            source: 'webhook',
          },
          Date.now(),
        ),
      )!.reasonEntry
    expect(record('1', 'workspace/notes\u2028.md')).toBe('workspace/notes\u2028.md')
    expect(record('2', null)).toBeNull()
    const long = record('3', `tpl/${'😀'.repeat(70_000)}`)!
    expect(Array.from(long)).toHaveLength(1024)
    expect(long.startsWith('tpl/😀')).toBe(true)
    expect(long.endsWith('😀…')).toBe(true)
    expect(record('4', 'é'.repeat(1024))).toBe('é'.repeat(1024))
  })

  it('lists newest first', () => {
    const index = freshIndex()
    index.templates.sync([spec('a')], { now: Date.now() })
    for (const c of ['1', '2', '3']) {
      index.versions.record(
        {
          template: 'a',
          commit: c.repeat(40),
          status: 'rejected',
          reasonCode: 'X',
          source: 'cli',
        },
        Date.now(),
      )
    }
    expect(index.versions.list('a').map((v) => v.commit?.[0])).toEqual(['3', '2', '1'])
  })
})

describe('bundles', () => {
  it('stores a manifest once per digest and cascades on removal', () => {
    const index = freshIndex()
    const files = [
      { path: 'config.yaml', size: 3, sha256: 'f'.repeat(64), mode: 0o644 },
      { path: 'run.sh', size: 9, sha256: 'e'.repeat(64), mode: 0o755 },
    ]
    index.transaction(() => index.bundles.insert(digest('d'), 2048, files, Date.now()))
    index.transaction(() => index.bundles.insert(digest('d'), 2048, [], Date.now()))
    expect(index.bundles.get(digest('d'))).toMatchObject({ size: 2048, fileCount: 2 })
    expect(index.bundles.files(digest('d'))).toEqual(files)
    expect(index.bundles.remove(digest('d'))).toBe(true)
    expect(index.bundles.files(digest('d'))).toEqual([])
    expect(index.bundles.get(digest('d'))).toBeNull()
  })

  it('refuses a malformed digest or mode at the schema', () => {
    const index = freshIndex()
    expect(() =>
      index.transaction(() => index.bundles.insert('sha256:short', 1, [], Date.now())),
    ).toThrow()
    expect(() =>
      index.transaction(() =>
        index.bundles.insert(
          digest('1'),
          1,
          [{ path: 'x', size: 1, sha256: 'a'.repeat(64), mode: 0o777 }],
          Date.now(),
        ),
      ),
    ).toThrow()
  })
})
