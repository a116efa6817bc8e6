// DIR/.asset-cache.json: what the last pull wrote into DIR, so the next one can send If-None-Match,
// remove what a newer version dropped, and tell a file it wrote from one changed since.
import { randomBytes } from 'node:crypto'
import { open, readFile, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { STATE_FILE, stateTempName } from '../bundle/reserved.js'
import { isDigest } from '../digest.js'

export { STATE_FILE }

/** One file as pull wrote it (the shape of the server's bundle manifest). */
export interface StateFile {
  path: string
  size: number
  /** Lowercase hex. */
  sha256: string
  mode: number
}

export interface PullState {
  /** Null when DIR was pulled by digest. */
  template: string | null
  digest: string
  commit: string | null
  /** ISO 8601. */
  pulledAt: string
  /** Every file of the bundle, in bundle order. */
  files: string[]
  /** The same files with what was written; null in a state written by an older client. */
  manifest: StateFile[] | null
  /** Directories pull created to hold those files (DIR-relative); removed again once empty. */
  dirs: string[]
}

/** The state DIR records, or null when there is none or it is not ours. */
export async function readState(dir: string): Promise<PullState | null> {
  let text: string
  try {
    text = await readFile(join(dir, STATE_FILE), 'utf8')
  } catch {
    return null
  }
  try {
    const s = JSON.parse(text) as Partial<Record<keyof PullState, unknown>>
    if (!isDigest(s.digest) || !Array.isArray(s.files)) return null
    return {
      template: typeof s.template === 'string' ? s.template : null,
      digest: s.digest,
      commit: typeof s.commit === 'string' ? s.commit : null,
      pulledAt: typeof s.pulledAt === 'string' ? s.pulledAt : '',
      files: s.files.filter((f): f is string => typeof f === 'string'),
      manifest:
        Array.isArray(s.manifest) && s.manifest.every(isStateFile)
          ? (s.manifest as StateFile[])
          : null,
      dirs: Array.isArray(s.dirs) ? s.dirs.filter((d): d is string => typeof d === 'string') : [],
    }
  } catch {
    return null
  }
}

function isStateFile(value: unknown): value is StateFile {
  const f = value as Partial<StateFile> | null
  return (
    typeof f?.path === 'string' &&
    Number.isSafeInteger(f.size) &&
    typeof f.sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(f.sha256) &&
    Number.isSafeInteger(f.mode)
  )
}

/** Writes the state through a temp file and a rename, so a reader never sees half of it. */
export async function writeState(dir: string, state: PullState): Promise<void> {
  const tmp = join(dir, stateTempName(randomBytes(8).toString('hex')))
  try {
    const fh = await open(tmp, 'wx', 0o644)
    try {
      await fh.writeFile(`${JSON.stringify(state, null, 2)}\n`)
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, join(dir, STATE_FILE))
  } finally {
    await rm(tmp, { force: true })
  }
}
