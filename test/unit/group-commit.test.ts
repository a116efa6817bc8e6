// Group commit (src/db/group-commit.ts) on a real SQLite file: work queued in one turn shares one
// transaction, a throwing piece rolls back only itself, nothing resolves before the COMMIT, and the
// COMMIT is synced FULL while the connection otherwise stays NORMAL.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { GroupCommit } from '../../src/db/group-commit.js'
import { type Db, openDb } from '../../src/db/index.js'

let db: Db
afterEach(() => db?.close())

function freshDb(): Db {
  db = openDb(join(mkdtempSync(join(tmpdir(), 'asset-cache-gc-')), 'x.db'))
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)')
  return db
}

const SYNC_FULL = 2
const SYNC_NORMAL = 1

describe('GroupCommit', () => {
  it('runs one turn of work in one FULL-synced transaction, each piece in its own savepoint', async () => {
    const db = freshDb()
    const group = new GroupCommit<string>(db)
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)')
    const seen: { sync: number; inTransaction: boolean; rows: number }[] = []
    const piece = (v: string) => () => {
      seen.push({
        sync: db.pragma('synchronous', { simple: true }) as number,
        inTransaction: db.inTransaction,
        rows: (db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n,
      })
      insert.run(v)
      if (v === 'bad') throw new Error('injected')
      return v
    }
    const results = await Promise.allSettled(['a', 'bad', 'c'].map((v) => group.run(piece(v))))
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    // Each piece saw the rows of the ones before it (a failed one's row rolled back).
    expect(seen.map((s) => s.rows)).toEqual([0, 1, 1])
    expect(seen.every((s) => s.inTransaction && s.sync === SYNC_FULL)).toBe(true)
    expect(db.prepare('SELECT v FROM t ORDER BY id').pluck().all()).toEqual(['a', 'c'])
    expect(db.pragma('synchronous', { simple: true })).toBe(SYNC_NORMAL)
  })

  it('rejects every piece when the transaction itself fails, and restores NORMAL sync', async () => {
    const db = freshDb()
    const group = new GroupCommit<number>(db)
    const other = openDb(db.name)
    other.pragma('busy_timeout = 0')
    db.pragma('busy_timeout = 0')
    other.exec('BEGIN IMMEDIATE')
    try {
      const results = await Promise.allSettled([1, 2].map((n) => group.run(() => n)))
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected'])
    } finally {
      other.exec('ROLLBACK')
      other.close()
    }
    expect(db.pragma('synchronous', { simple: true })).toBe(SYNC_NORMAL)
    expect(await group.run(() => 3)).toBe(3)
  })
})
