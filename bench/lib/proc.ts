// Child processes for the bench: free ports, /proc memory figures, waiting for exits.
import type { ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

/** An ephemeral port the kernel just handed out (closed again: a tiny race, fine for a bench). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

export interface MemoryStatus {
  /** Peak resident set size (VmHWM), bytes. */
  peakRss: number
  /** Current resident set size (VmRSS), bytes. */
  rss: number
}

/** VmHWM and VmRSS of a live process, from /proc/<pid>/status (Linux only). */
export function memoryStatus(pid: number): MemoryStatus {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = (key: string) => {
    const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)
    if (!match) throw new Error(`no ${key} in /proc/${pid}/status`)
    return Number(match[1]) * 1024
  }
  return { peakRss: kib('VmHWM'), rss: kib('VmRSS') }
}

/** Resolves with the exit code once `child` exits (at once if it already has). */
export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode)
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)))
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
export async function terminate(child: ChildProcess, graceMs = 15_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
  child.kill('SIGTERM')
  const code = await Promise.race([exited(child), sleep(graceMs).then(() => 'timeout' as const)])
  if (code !== 'timeout') return code
  child.kill('SIGKILL')
  return exited(child)
}

/** Polls `check` until it returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 60_000,
  everyMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(everyMs)
  }
}
