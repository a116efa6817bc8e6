// DIR/.asset-cache.json: what the last pull wrote into DIR, so the next one can send If-None-Match.
import { randomBytes } from 'node:crypto'
import { open, readFile, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { STATE_FILE, stateTempName } from '../bundle/reserved.js'
import { isDigest } from '../digest.js'

export { STATE_FILE }

export interface PullState {
  /** Null when DIR was pulled by digest. */
  template: string | null
  digest: string
  commit: string | null
  /** ISO 8601. */
  pulledAt: string
  files: string[]
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
    const s = JSON.parse(text) as Partial<PullState>
    if (!isDigest(s.digest) || !Array.isArray(s.files)) return null
    return {
      template: typeof s.template === 'string' ? s.template : null,
      digest: s.digest,
      commit: typeof s.commit === 'string' ? s.commit : null,
      pulledAt: typeof s.pulledAt === 'string' ? s.pulledAt : '',
      files: s.files.filter((f): f is string => typeof f === 'string'),
    }
  } catch {
    return null
  }
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
