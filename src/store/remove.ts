// remove and quarantine: taking a blob out of service, deleted or kept aside for inspection.
import { link, stat, unlink } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fsyncDir, isErrno } from './fs-util.js'
import { blobPath, QUARANTINE_DIR } from './paths.js'

/**
 * Deletes a blob; returns the bytes freed, 0 when it was absent. Which digests may go is the
 * index's decision (GC): the store does not know what is referenced. The unlink is not fsynced:
 * a removal lost to a power cut brings back a complete blob, which is harmless.
 */
export async function removeBlob(dir: string, hex: string): Promise<number> {
  const path = blobPath(dir, hex)
  try {
    const { size } = await stat(path)
    await unlink(path)
    return size
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return 0
    throw err
  }
}

/**
 * Moves a blob to quarantine/<hex>.<ms timestamp>; false when it was absent. link() then
 * unlink() rather than rename(), so an earlier quarantined copy with the same name is never
 * overwritten (the timestamp is bumped instead). Durable, so a bad blob is not back after a crash.
 */
export async function quarantineBlob(dir: string, hex: string): Promise<boolean> {
  const path = blobPath(dir, hex)
  const quarantine = join(dir, QUARANTINE_DIR)
  let stamp = Date.now()
  let dest: string
  for (;;) {
    dest = join(quarantine, `${hex}.${stamp}`)
    try {
      await link(path, dest)
      break
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return false
      if (!isErrno(err, 'EEXIST')) throw err
      stamp++
    }
  }
  try {
    await unlink(path)
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err
    // A concurrent quarantine or remove took it first; that one owns the outcome.
    await unlink(dest)
    return false
  }
  await fsyncDir(quarantine)
  await fsyncDir(dirname(path))
  return true
}
