// Small filesystem helpers the store's modules share: errno matching, directory fsync, file hashing.
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'

export function isErrno(err: unknown, ...codes: string[]): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code
  return typeof code === 'string' && codes.includes(code)
}

/**
 * A new or removed name is durable only once its directory is fsynced; fsyncing the file
 * makes its bytes durable, not the link to them.
 */
export async function fsyncDir(path: string): Promise<void> {
  const fh = await open(path, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

/** sha256 and length of a file's current bytes. */
export async function hashFile(path: string): Promise<{ hex: string; size: number }> {
  const hash = createHash('sha256')
  let size = 0
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk)
    size += chunk.byteLength
  }
  return { hex: hash.digest('hex'), size }
}
