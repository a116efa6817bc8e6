// list and usage: walking blobs/sha256/ab/cd/<hex> and what it adds up to.
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { digestOf } from '../digest.js'
import { isErrno } from './fs-util.js'
import { BLOBS_DIR } from './paths.js'

const FAN_RE = /^[0-9a-f]{2}$/
const HEX_RE = /^[0-9a-f]{64}$/

export interface BlobEntry {
  digest: string
  size: number
}

/**
 * Every blob with its size, in digest order. Names that are not a blob in its right fan-out
 * directory are skipped: they cannot be served, since a path is only ever derived from a digest.
 * Blobs removed during the walk are skipped too.
 */
export async function* listBlobs(dir: string): AsyncGenerator<BlobEntry> {
  const root = join(dir, BLOBS_DIR)
  for (const a of await names(root)) {
    if (!FAN_RE.test(a)) continue
    for (const b of await names(join(root, a))) {
      if (!FAN_RE.test(b)) continue
      for (const hex of await names(join(root, a, b))) {
        if (!HEX_RE.test(hex) || !hex.startsWith(a + b)) continue
        const st = await stat(join(root, a, b, hex)).catch((err: unknown) => {
          if (isErrno(err, 'ENOENT')) return null
          throw err
        })
        if (st?.isFile()) yield { digest: digestOf(hex), size: st.size }
      }
    }
  }
}

export async function usageOf(dir: string): Promise<{ blobs: number; bytes: number }> {
  let blobs = 0
  let bytes = 0
  for await (const { size } of listBlobs(dir)) {
    blobs++
    bytes += size
  }
  return { blobs, bytes }
}

async function names(path: string): Promise<string[]> {
  try {
    return (await readdir(path)).sort()
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) return []
    throw err
  }
}
