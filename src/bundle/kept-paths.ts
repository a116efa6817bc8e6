// Collisions among kept files, as a case-insensitive file system would see them.
import type { RejectCode } from '../errors.js'
import { foldCase } from './names.js'

/** Kept paths seen so far; exact duplicates are caught before, for every entry (DUPLICATE_PATH). */
export class KeptPaths {
  readonly #files = new Set<string>()
  readonly #dirs = new Set<string>()

  /** Records `path`, or says why it cannot sit beside the paths already recorded. */
  add(path: string): RejectCode | null {
    const key = foldCase(path)
    if (this.#files.has(key)) return 'CASE_COLLISION'
    if (this.#dirs.has(key)) return 'PATH_CONFLICT'
    const segments = key.split('/')
    const dirs = segments.slice(0, -1).map((_, i) => segments.slice(0, i + 1).join('/'))
    if (dirs.some((dir) => this.#files.has(dir))) return 'PATH_CONFLICT'
    for (const dir of dirs) this.#dirs.add(dir)
    this.#files.add(key)
    return null
  }
}
