// Group commit (src/db/group-commit.ts) on a real SQLite file: work queued in one turn shares one
// transaction, a throwing piece rolls back only itself, and nothing resolves before the COMMIT and
// an fsync of the WAL after it (the connection stays NORMAL: the event loop never waits on disk).
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { GroupCommit, UnsyncedCommit } from '../../src/db/group-commit.js'
import { type Db, openDb } from '../../src/db/index.js'

let db: Db
afterEach(() => db?.close())

function freshDb(): Db {
  db = openDb(join(mkdtempSync(join(tmpdir(), 'asset-cache-gc-')), 'x.db'))
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)')
  return db
}

const SYNC_NORMAL = 1

describe('GroupCommit', () => {
  it('runs one turn of work in one transaction, each piece in its own savepoint', async () => {
    const db = freshDb()
    const group = new GroupCommit(db)
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
    expect(seen.every((s) => s.inTransaction && s.sync === SYNC_NORMAL)).toBe(true)
    expect(db.prepare('SELECT v FROM t ORDER BY id').pluck().all()).toEqual(['a', 'c'])
    expect(db.pragma('synchronous', { simple: true })).toBe(SYNC_NORMAL)
  })

  it('answers only after the WAL holding the COMMIT was fsynced', async () => {
    const db = freshDb()
    const events: string[] = []
    let release!: () => void
    const synced = new Promise<void>((resolve) => {
      release = resolve
    })
    const group = new GroupCommit(db, async (walPath) => {
      expect(walPath).toBe(`${db.name}-wal`)
      expect(db.inTransaction).toBe(false)
      // The rows are committed (a second connection reads them) before the sync is asked for.
      const reader = openDb(db.name)
      events.push(
        `sync asked, ${(reader.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n} rows`,
      )
      reader.close()
      await synced
      events.push('synced')
    })
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)')
    const answers = [1, 2].map((n) =>
      group.run(() => insert.run(String(n)).changes).then((r) => events.push(`answer ${n}`) && r),
    )
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(events).toEqual(['sync asked, 2 rows'])
    release()
    await Promise.all(answers)
    expect(events).toEqual(['sync asked, 2 rows', 'synced', 'answer 1', 'answer 2'])
  })

  it('fails every piece whose WAL could not be synced', async () => {
    const db = freshDb()
    const group = new GroupCommit(db, async () => {
      throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' })
    })
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)')
    const results = await Promise.allSettled(
      [1, 2, 3].map((n) =>
        group.run(() => {
          insert.run(String(n))
          if (n === 3) throw new Error('own failure')
          return n
        }),
      ),
    )
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected'])
    const reasons = results.map((r) => (r as PromiseRejectedResult).reason)
    // Committed but not durable: the error says so, so the caller adds no second record.
    for (const err of reasons.slice(0, 2)) {
      expect(err).toBeInstanceOf(UnsyncedCommit)
      expect(err.code).toBe('EIO')
    }
    // The piece that failed on its own (rolled back) keeps its own error.
    expect(reasons[2].message).toBe('own failure')
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(2)
  })

  it('syncs the real WAL file', async () => {
    const db = freshDb()
    const group = new GroupCommit(db)
    expect(await group.run(() => db.prepare('INSERT INTO t (v) VALUES (?)').run('x').changes)).toBe(
      1,
    )
  })

  it('rejects every piece when the transaction itself fails', async () => {
    const db = freshDb()
    const group = new GroupCommit(db)
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
