// Bundle rows (one per stored digest) and their file manifests.
import type { Db } from './open.js'

export interface BundleFile {
  path: string
  size: number
  sha256: string
  mode: number
}

export interface BundleRow {
  digest: string
  size: number
  fileCount: number
  createdAt: number
  lastServedAt: number | null
  lastVerifiedAt: number | null
}

/** A bundles row as SQLite returns it. */
export interface RawBundle {
  digest: string
  size: number
  file_count: number
  created_at: number
  last_served_at: number | null
  last_verified_at: number | null
}

export const toBundleRow = (r: RawBundle): BundleRow => ({
  digest: r.digest,
  size: r.size,
  fileCount: r.file_count,
  createdAt: r.created_at,
  lastServedAt: r.last_served_at,
  lastVerifiedAt: r.last_verified_at,
})

export class BundleQueries {
  readonly #get
  readonly #all
  readonly #files
  readonly #insert
  readonly #insertFile
  readonly #remove
  readonly #served
  readonly #verified

  constructor(db: Db) {
    this.#get = db.prepare<[string], RawBundle>('SELECT * FROM bundles WHERE digest = ?')
    this.#all = db.prepare<[], RawBundle>('SELECT * FROM bundles ORDER BY created_at')
    this.#files = db.prepare<[string], BundleFile>(
      'SELECT path, size, sha256, mode FROM bundle_files WHERE digest = ? ORDER BY path',
    )
    this.#insert = db.prepare(
      'INSERT INTO bundles (digest, size, file_count, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING',
    )
    this.#insertFile = db.prepare(
      'INSERT INTO bundle_files (digest, path, size, sha256, mode) VALUES (?, ?, ?, ?, ?) ON CONFLICT (digest, path) DO NOTHING',
    )
    this.#remove = db.prepare('DELETE FROM bundles WHERE digest = ?')
    this.#served = db.prepare('UPDATE bundles SET last_served_at = ? WHERE digest = ?')
    this.#verified = db.prepare('UPDATE bundles SET last_verified_at = ? WHERE digest = ?')
  }

  get(digest: string): BundleRow | null {
    const raw = this.#get.get(digest)
    return raw ? toBundleRow(raw) : null
  }

  all(): BundleRow[] {
    return this.#all.all().map(toBundleRow)
  }

  files(digest: string): BundleFile[] {
    return this.#files.all(digest)
  }

  /** Records a stored bundle and its manifest; a digest already known is left as it is. Call inside a transaction. */
  insert(digest: string, size: number, files: BundleFile[], now: number): void {
    if (this.#insert.run(digest, size, files.length, now).changes === 0) return
    for (const f of files) this.#insertFile.run(digest, f.path, f.size, f.sha256, f.mode)
  }

  remove(digest: string): boolean {
    return this.#remove.run(digest).changes > 0
  }

  markServed(digest: string, now: number): void {
    this.#served.run(now, digest)
  }

  markVerified(digest: string, now: number): void {
    this.#verified.run(now, digest)
  }
}
