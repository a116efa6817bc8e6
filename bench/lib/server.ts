// The asset-cache server as a child process (`serve`), so its RSS can be read from /proc and a CPU
// profile taken. Uses the built dist when present, else the sources through tsx.
import type { ChildProcess } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { serveCommand, startServerProcess } from '../../test/support/server-process.js'
import { freePort, type MemoryStatus, memoryStatus } from './proc.js'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
/** The checkout whose server is measured: this one, or BENCH_SERVER_ROOT (to compare a branch). */
export const SERVER_ROOT = process.env.BENCH_SERVER_ROOT || ROOT

export interface AssetCacheChild {
  url: string
  pid: number
  child: ChildProcess
  logFile: string
  memory(): MemoryStatus
  stop(): Promise<number | null>
}

export interface AssetCacheOptions {
  /** Shown in errors and used for the log file name. */
  name: string
  /** Scratch directory for the log file. */
  workDir: string
  /** ASSET_CACHE_* / GITEA_* variables; PORT, HOST and LOG_LEVEL are set here unless given. */
  env: Record<string, string>
  /** Write a V8 CPU profile (.cpuprofile) into this directory when the server exits. */
  profileDir?: string | undefined
}

export const serverCommand = (): string => serveCommand(SERVER_ROOT, 'dist').how

export async function startAssetCache(options: AssetCacheOptions): Promise<AssetCacheChild> {
  const port = await freePort()
  if (options.profileDir) mkdirSync(options.profileDir, { recursive: true })
  const profile = options.profileDir
    ? [
        '--cpu-prof',
        `--cpu-prof-dir=${options.profileDir}`,
        `--cpu-prof-name=${options.name}.cpuprofile`,
      ]
    : []
  const logFile = join(options.workDir, `${options.name}.log`)
  const server = await startServerProcess({
    name: options.name,
    root: SERVER_ROOT,
    entry: 'dist',
    nodeArgs: profile,
    port,
    logFile,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      ASSET_CACHE_HOST: '127.0.0.1',
      ASSET_CACHE_PORT: String(port),
      ASSET_CACHE_LOG_LEVEL: 'warn',
      ASSET_CACHE_RECONCILE_INTERVAL: '1h',
      ASSET_CACHE_GC_INTERVAL: 'off',
      ...options.env,
    },
  })
  return {
    url: server.url,
    pid: server.pid,
    child: server.child,
    logFile,
    memory: () => memoryStatus(server.pid),
    stop: () => server.stop(),
  }
}
