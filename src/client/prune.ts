// Removing what a previous pull wrote and the new bundle no longer has. Only ever a regular file
// the state says pull wrote, still as pull wrote it, at a path the bundle rules accept, reached
// through real directories; and only directories pull itself created, once they are empty.
import { readdir, rm, rmdir } from 'node:fs/promises'
import { join } from 'node:path'
import { foldCase } from '../bundle/names.js'
import { checkPath } from '../bundle/paths.js'
import { isErrno } from '../store/fs-util.js'
import { destination, holds } from './destination.js'
import type { PullState } from './state.js'

export interface Removals {
  /** Files to remove (DIR-relative). */
  remove: string[]
  /** Files the previous bundle wrote and this one lacks that stay: changed locally, or not ours. */
  kept: string[]
}

/** A DIR-relative name pull could have written: inside DIR, not agent-owned, not reserved. */
function isOurs(path: string): boolean {
  return checkPath(path) === null
}

/**
 * The files of `previous` that the bundle `next` lacks and that may go: each is a path the bundle
 * rules accept, a regular file reached through real directories, and unchanged since pull wrote
 * it (same size, mode and sha256; a state from an older client recorded no hashes, and its files
 * go by path).
 */
export async function planRemovals(
  dir: string,
  previous: PullState | null,
  next: ReadonlySet<string>,
): Promise<Removals> {
  const removals: Removals = { remove: [], kept: [] }
  if (previous === null) return removals
  const written = new Map((previous.manifest ?? []).map((f) => [f.path, f]))
  for (const path of new Set(previous.files)) {
    if (next.has(path)) continue
    if (!isOurs(path)) {
      removals.kept.push(path)
      continue
    }
    const d = await destination(dir, path)
    if (d.kind === 'blocked' || d.target === null) {
      if (d.kind === 'blocked') removals.kept.push(path)
      continue // already gone
    }
    const recorded = written.get(path)
    const unchanged = recorded
      ? await holds(join(dir, path), d.target, recorded)
      : d.target.isFile() && previous.manifest === null
    if (unchanged) removals.remove.push(path)
    else removals.kept.push(path)
  }
  return removals
}

export async function removeFiles(dir: string, paths: readonly string[]): Promise<void> {
  for (const path of paths) await rm(join(dir, path), { force: true })
}

/**
 * Removes the directories in `tracked` (created by pull) that no file of the bundle lives under
 * and that are empty, deepest first. Returns the ones still tracked: those still needed, those
 * holding something else, those that cannot be removed.
 */
export async function removeEmptyDirs(
  dir: string,
  tracked: Iterable<string>,
  files: readonly string[],
): Promise<string[]> {
  const under = new Set<string>()
  for (const file of files) {
    const segments = foldCase(file).split('/')
    for (let i = 1; i < segments.length; i++) under.add(segments.slice(0, i).join('/'))
  }
  const depth = (p: string) => p.split('/').length
  const candidates = [...new Set(tracked)].filter(isOurs).sort((a, b) => depth(b) - depth(a))
  const still: string[] = []
  for (const d of candidates) {
    if (under.has(foldCase(d))) {
      still.push(d)
      continue
    }
    const at = await destination(dir, d)
    if (at.kind === 'blocked' || at.target === null) continue // gone, or no longer ours to walk
    if (!at.target.isDirectory()) continue
    try {
      await rmdir(join(dir, d))
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) still.push(d) // not empty (someone else's files), or not ours
    }
  }
  return still.sort()
}

/**
 * True when the directory `path` is one pull created (`tracked`) and holds nothing but files in
 * `removing` and directories of the same kind: removeEmptyDirs will have removed it before any
 * file is renamed into place.
 */
export async function vacates(
  dir: string,
  path: string,
  removing: ReadonlySet<string>,
  tracked: ReadonlySet<string>,
): Promise<boolean> {
  if (!tracked.has(path)) return false
  for (const entry of await readdir(join(dir, path), { withFileTypes: true })) {
    const child = `${path}/${entry.name}`
    if (entry.isFile() && removing.has(child)) continue
    if (entry.isDirectory() && (await vacates(dir, child, removing, tracked))) continue
    return false
  }
  return true
}
