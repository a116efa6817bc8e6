// `asset-cache serve` as a child process on a known port (replicas must know each other's
// addresses before they listen), resolved once it answers /healthz there.
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { request } from 'undici'

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

/** Starts a replica with `env` (ASSET_CACHE_PORT set); its logs go to stderr at `warn`. */
export async function startReplica(env: Record<string, string>): Promise<ReplicaProcess> {
  const url = `http://127.0.0.1:${env.ASSET_CACHE_PORT}`
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/main.ts'), 'serve'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME ?? '/tmp',
      ASSET_CACHE_HOST: '127.0.0.1',
      ASSET_CACHE_LOG_LEVEL: 'warn',
      ASSET_CACHE_RECONCILE_INTERVAL: '1h',
      ASSET_CACHE_GC_INTERVAL: 'off',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  let exitCode: number | null | undefined
  const exited = new Promise<number | null>((r) =>
    child.once('exit', (code) => {
      exitCode = code
      r(code)
    }),
  )
  const deadline = Date.now() + 60_000
  for (;;) {
    if (exitCode !== undefined) throw new Error(`serve exited early with ${exitCode}`)
    try {
      const res = await request(`${url}/healthz`)
      await res.body.dump()
      if (res.statusCode === 200) break
    } catch {}
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`serve did not answer on ${url}`)
    }
    await new Promise((r) => setTimeout(r, 25))
  }
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    await exited
  }
  return { url, child, exited, kill: () => end('SIGKILL'), stop: () => end('SIGTERM') }
}
