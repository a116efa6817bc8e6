// Temp files: the unique names puts write to, and the sweep of those a dead process left behind.
import { randomBytes } from 'node:crypto'
import { readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { TMP_DIR } from './paths.js'

// Name: <pid>.<process token>.<random>. Every temp file belongs to exactly one live put, so one
// whose process is gone is garbage. The pid lets a second process (the CLI's `verify` beside the
// server) open the same store without deleting the other's in-flight writes; the token, random per
// process, tells a restarted process that got its predecessor's pid (pid 1 in a container) that the
// old files are not its own. A dead process's pid reused by an unrelated live one only delays the
// sweep to a later open.
const PROCESS_TOKEN = randomBytes(6).toString('hex')
const TEMP_NAME_RE = /^([1-9]\d*)\.([0-9a-f]{12})\.[0-9a-f]{16}$/

export function tempPath(dir: string): string {
  const name = `${process.pid}.${PROCESS_TOKEN}.${randomBytes(8).toString('hex')}`
  return join(dir, TMP_DIR, name)
}

function ownerAlive(name: string): boolean {
  const m = TEMP_NAME_RE.exec(name)
  if (!m) return false
  const pid = Number(m[1])
  if (pid === process.pid) return m[2] === PROCESS_TOKEN
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Removes every entry of tmp/ not owned by a live process; returns how many. */
export async function sweepTemp(dir: string): Promise<number> {
  const tmp = join(dir, TMP_DIR)
  let removed = 0
  for (const name of await readdir(tmp)) {
    if (ownerAlive(name)) continue
    await rm(join(tmp, name), { recursive: true, force: true })
    removed++
  }
  return removed
}
