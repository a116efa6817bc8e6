// Eviction in two steps, so an eviction can be undone: detach moves a blob out of blobs/ into
// evicting/<hex>.<pid>.<n> (one rename; readers with the file open keep reading), the index then
// decides, and the caller either discards the detached file or reattaches it. A crash in between
// leaves files in evicting/ that start-up hands back to the index to decide again.
import { link, readdir, rename, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { digestOf } from '../digest.js'
import { isErrno } from './fs-util.js'
import { blobPath, EVICTING_DIR } from './paths.js'

export interface Detached {
  digest: string
  size: number
  /** Where the bytes wait for the index's decision. */
  path: string
}

let counter = 0

export async function detachBlob(dir: string, hex: string): Promise<Detached | null> {
  const from = blobPath(dir, hex)
  const path = join(dir, EVICTING_DIR, `${hex}.${process.pid}.${Date.now()}.${counter++}`)
  try {
    const { size } = await stat(from)
    await rename(from, path)
    return { digest: digestOf(hex), size, path }
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null
    throw err
  }
}

/**
 * Puts a detached blob back. link() never replaces: if a put wrote the same digest meanwhile,
 * that copy stays and the detached one goes (same name, so the same bytes).
 */
export async function reattachBlob(dir: string, d: Detached): Promise<void> {
  const hex = d.digest.slice('sha256:'.length)
  try {
    await link(d.path, blobPath(dir, hex))
  } catch (err) {
    if (!isErrno(err, 'EEXIST')) throw err
  }
  await discardDetached(d)
}

/** Deletes a detached blob; bytes freed. */
export async function discardDetached(d: Detached): Promise<number> {
  try {
    await unlink(d.path)
    return d.size
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return 0
    throw err
  }
}

/** Detached blobs left by a process that stopped between detach and decision. */
export async function* listDetached(dir: string): AsyncIterable<Detached> {
  const root = join(dir, EVICTING_DIR)
  let names: string[]
  try {
    names = await readdir(root)
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return
    throw err
  }
  for (const name of names.sort()) {
    const hex = name.split('.')[0] ?? ''
    if (!/^[0-9a-f]{64}$/.test(hex)) continue
    const path = join(root, name)
    const st = await stat(path).catch(() => null)
    if (st?.isFile()) yield { digest: digestOf(hex), size: st.size, path }
  }
}
