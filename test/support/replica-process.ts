// `asset-cache serve` as a child process on a known port (replicas must know each other's
// addresses before they listen), resolved once it logs that it listens.
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface ReplicaProcess {
  url: string
  child: ChildProcess
  exited: Promise<number | null>
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>
  /** SIGTERM (graceful), and wait for the exit. */
  stop(): Promise<void>
}

export function startReplica(env: Record<string, string>): Promise<ReplicaProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/main.ts'), 'serve'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME ?? '/tmp',
      ASSET_CACHE_HOST: '127.0.0.1',
      ASSET_CACHE_LOG_LEVEL: 'info',
      ASSET_CACHE_RECONCILE_INTERVAL: '1h',
      ASSET_CACHE_GC_INTERVAL: 'off',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    await exited
  }
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    lines.on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; url?: string }
        if (entry.msg === 'asset-cache listening') {
          resolve({
            url: entry.url!,
            child,
            exited,
            kill: () => end('SIGKILL'),
            stop: () => end('SIGTERM'),
          })
        }
      } catch {}
    })
    void exited.then((code) => reject(new Error(`serve exited early with ${code}`)))
  })
}
