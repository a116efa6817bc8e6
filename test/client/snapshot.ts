// A directory tree as data: every entry's type, mode, mtime and content, to compare before/after.
import { createHash } from 'node:crypto'
import { lstat, readdir, readFile, readlink } from 'node:fs/promises'
import { join } from 'node:path'

export async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  async function walk(rel: string): Promise<void> {
    const abs = rel ? join(dir, rel) : dir
    for (const name of (await readdir(abs)).sort()) {
      const path = rel ? `${rel}/${name}` : name
      const st = await lstat(join(dir, path))
      const meta = `${(st.mode & 0o7777).toString(8)} ${st.mtimeMs}`
      if (st.isSymbolicLink()) out[path] = `link ${await readlink(join(dir, path))}`
      else if (st.isDirectory()) {
        out[path] = `dir ${meta}`
        await walk(path)
      } else {
        const hash = createHash('sha256')
          .update(await readFile(join(dir, path)))
          .digest('hex')
        out[path] = `file ${meta} ${hash}`
      }
    }
  }
  await walk('')
  return out
}
