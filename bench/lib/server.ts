// The asset-cache server as a child process (`serve`), so its RSS can be read from /proc and a CPU
// profile taken. Uses the built dist when present, else the sources through tsx.
import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream, existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { request } from 'undici'
import { exited, freePort, type MemoryStatus, memoryStatus, terminate, until } from './proc.js'

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

function command(): { args: string[]; how: string } {
  const dist = join(SERVER_ROOT, 'dist/main.js')
  const where = SERVER_ROOT === ROOT ? '' : ` in ${SERVER_ROOT}`
  if (existsSync(dist)) return { args: [dist, 'serve'], how: `dist/main.js${where}` }
  return {
    args: ['--import', 'tsx', join(SERVER_ROOT, 'src/main.ts'), 'serve'],
    how: `tsx src/main.ts${where}`,
  }
}

export const serverCommand = (): string => command().how

export async function startAssetCache(options: AssetCacheOptions): Promise<AssetCacheChild> {
  const port = await freePort()
  const { args } = command()
  if (options.profileDir) mkdirSync(options.profileDir, { recursive: true })
  const profile = options.profileDir
    ? [
        '--cpu-prof',
        `--cpu-prof-dir=${options.profileDir}`,
        `--cpu-prof-name=${options.name}.cpuprofile`,
      ]
    : []
  const logFile = join(options.workDir, `${options.name}.log`)
  const log = createWriteStream(logFile)
  const child = spawn(process.execPath, [...profile, ...args], {
    cwd: SERVER_ROOT,
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
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout!.pipe(log, { end: false })
  child.stderr!.pipe(log, { end: false })
  const url = `http://127.0.0.1:${port}`
  let early: number | null | undefined
  void exited(child).then((code) => {
    early = code
  })
  await until(
    `${options.name} to answer /healthz (log: ${logFile})`,
    async () => {
      if (early !== undefined)
        throw new Error(`${options.name} exited with ${early}; see ${logFile}`)
      try {
        const res = await request(`${url}/healthz`)
        await res.body.dump()
        return res.statusCode === 200
      } catch {
        return false
      }
    },
    60_000,
    50,
  )
  return {
    url,
    pid: child.pid!,
    child,
    logFile,
    memory: () => memoryStatus(child.pid!),
    stop: async () => {
      const code = await terminate(child)
      log.end()
      return code
    },
  }
}
