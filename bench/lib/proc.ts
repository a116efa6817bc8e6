// Child processes for the bench: free ports and /proc memory figures.
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'

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
