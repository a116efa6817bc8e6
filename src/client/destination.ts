// What a path in DIR leads to, seen without following links: pull writes or removes a file only
// where every parent is a real directory inside DIR, never through a symlink.
import type { Stats } from 'node:fs'
import { lstat } from 'node:fs/promises'
import { join } from 'node:path'
import { hashFile, isErrno } from '../store/fs-util.js'
import { ClientError } from './errors.js'

export type Destination =
  /** Every existing parent is a real directory; `target` is what the path holds (null: nothing). */
  | { kind: 'reachable'; target: Stats | null }
  /** `parent` (DIR-relative) is a symlink or not a directory. */
  | { kind: 'blocked'; parent: string; symlink: boolean }

async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path)
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null
    throw err
  }
}

/**
 * Walks `path` (DIR-relative, already checked against the path rules) one segment at a time.
 * `removed` names files that will be gone before anything is written: a parent that is one of
 * them counts as missing.
 */
export async function destination(
  dir: string,
  path: string,
  removed: ReadonlySet<string> = new Set(),
): Promise<Destination> {
  const segments = path.split('/')
  for (let i = 1; i < segments.length; i++) {
    const parent = segments.slice(0, i).join('/')
    const st = await lstatOrNull(join(dir, parent))
    if (st === null) return { kind: 'reachable', target: null }
    if (st.isDirectory()) continue
    if (removed.has(parent) && st.isFile()) return { kind: 'reachable', target: null }
    return { kind: 'blocked', parent, symlink: st.isSymbolicLink() }
  }
  return { kind: 'reachable', target: await lstatOrNull(join(dir, path)) }
}

/**
 * Throws `UNSAFE_DESTINATION` unless pull may put a file at `path`. A directory there is refused
 * unless `vacated` says it will be gone first (a directory pull created, emptied by the removals).
 */
export async function checkDestination(
  dir: string,
  path: string,
  removed: ReadonlySet<string>,
  vacated: (path: string) => Promise<boolean> = async () => false,
): Promise<Stats | null> {
  const d = await destination(dir, path, removed)
  if (d.kind === 'blocked') {
    const what = d.symlink ? 'a symlink' : 'not a directory'
    throw new ClientError(
      'UNSAFE_DESTINATION',
      `${join(dir, d.parent)} is ${what}; refusing to write ${path}`,
      { path },
    )
  }
  if (d.target?.isDirectory()) {
    if (await vacated(path)) return null
    throw new ClientError(
      'UNSAFE_DESTINATION',
      `${join(dir, path)} is a directory; refusing to replace it`,
      { path },
    )
  }
  return d.target
}

/** True when the regular file `st` at `abs` holds exactly these bytes with this mode. */
export async function holds(
  abs: string,
  st: Stats | null,
  want: { size: number; sha256: string; mode: number },
): Promise<boolean> {
  if (!st?.isFile() || st.size !== want.size || (st.mode & 0o777) !== want.mode) return false
  const found = await hashFile(abs)
  return found.size === want.size && found.hex === want.sha256
}
