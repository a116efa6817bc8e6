// `asset-cache serve` as a real child process, for the end-to-end and reliability suites and the
// bench: real environment configuration, its JSON log lines kept, SIGKILL and SIGTERM for real.
import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream, existsSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { request } from 'undici'
import { ROOT } from './cli.js'
import { until } from './wait.js'

export interface ServerProcessOptions {
  /** The child's environment; PATH is added unless given. */
  env: Record<string, string>
  /** The checkout to run (default: this one). */
  root?: string
  /** `dist` runs the built dist/main.js when it exists (else the sources); default `src`. */
  entry?: 'src' | 'dist'
  /** Modules preloaded with `--import` after tsx (fault injectors); sources only. */
  preload?: string[]
  /** Node flags before the script (e.g. --cpu-prof). */
  nodeArgs?: string[]
  /**
   * Ready when GET /healthz answers 200 on this port (for a log level that does not say
   * `asset-cache listening`); by default ready when that line is logged (ASSET_CACHE_PORT=0 works).
   */
  port?: number
  /** Also write stdout and stderr to this file. */
  logFile?: string
  /** Keep the last `keepLines` log lines for diagnosis (default 200). */
  keepLines?: number
  /** Named in errors. */
  name?: string
}

export interface ServerProcess {
  child: ChildProcess
  pid: number
  url: string
  /** Resolves with the exit code. */
  exited: Promise<number | null>
  /** The last log lines (JSON), newest last. */
  lines: string[]
  /** The last 4000 characters of stderr (a crash's stack). */
  stderr(): string
  /** Called for every log line that parses as JSON. */
  onLine: Set<(entry: Record<string, unknown>) => void>
  /** Sends `signal` (default SIGKILL) unless gone already; resolves with the exit code. */
  kill(signal?: NodeJS.Signals): Promise<number | null>
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>
}

/** The command line that runs `serve`, and how it reads in a report. */
export function serveCommand(
  root = ROOT,
  entry: 'src' | 'dist' = 'src',
  preload: string[] = [],
): { args: string[]; how: string } {
  const where = root === ROOT ? '' : ` in ${root}`
  const dist = join(root, 'dist/main.js')
  if (entry === 'dist' && existsSync(dist))
    return { args: [dist, 'serve'], how: `dist/main.js${where}` }
  const imports = ['--import', 'tsx', ...preload.flatMap((m) => ['--import', m])]
  return { args: [...imports, join(root, 'src/main.ts'), 'serve'], how: `tsx src/main.ts${where}` }
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

const live = new Set<ChildProcess>()

/** SIGKILLs every server child still running (afterAll / afterEach). */
export async function killServerProcesses(): Promise<void> {
  await Promise.all(
    [...live].map((c) => {
      const gone = exited(c)
      c.kill('SIGKILL')
      return gone
    }),
  )
}

/** Starts `asset-cache serve` and resolves once it is ready (see `port`). */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const root = options.root ?? ROOT
  const { args } = serveCommand(root, options.entry, options.preload)
  const name = options.name ?? 'serve'
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  live.add(child)
  const exit = exited(child).then((code) => {
    live.delete(child)
    return code
  })
  const log = options.logFile ? createWriteStream(options.logFile) : null
  if (log) {
    child.stdout!.pipe(log, { end: false })
    child.stderr!.pipe(log, { end: false })
    void exit.then(() => log.end())
  }
  const lines: string[] = []
  const keep = options.keepLines ?? 200
  const onLine = new Set<(entry: Record<string, unknown>) => void>()
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000)
  })
  const failure = (code: number | null) =>
    new Error(
      `${name} exited early with ${code}${options.logFile ? ` (log: ${options.logFile})` : ''}\n` +
        `${lines.slice(-20).join('\n')}\n${stderr}`,
    )
  const listening = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line)
      if (lines.length > keep) lines.shift()
      let entry: Record<string, unknown>
      try {
        entry = JSON.parse(line) as Record<string, unknown>
      } catch {
        return
      }
      for (const fn of onLine) fn(entry)
      if (entry.msg === 'asset-cache listening') resolve(entry.url as string)
    })
    void exit.then((code) => reject(failure(code)))
  })
  listening.catch(() => undefined)
  let url: string
  try {
    url = options.port === undefined ? await listening : await healthy(options.port, child, failure)
  } catch (error) {
    child.kill('SIGKILL')
    throw error
  }
  return {
    child,
    pid: child.pid!,
    url,
    exited: exit,
    lines,
    stderr: () => stderr,
    onLine,
    kill: async (signal = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exit
    },
    stop: (graceMs) => terminate(child, graceMs),
  }
}

async function healthy(
  port: number,
  child: ChildProcess,
  failure: (code: number | null) => Error,
): Promise<string> {
  const url = `http://127.0.0.1:${port}`
  await until(
    async () => {
      if (child.exitCode !== null || child.signalCode !== null) throw failure(child.exitCode)
      try {
        const res = await request(`${url}/healthz`)
        await res.body.dump()
        return res.statusCode === 200
      } catch {
        return false
      }
    },
    { what: `${url}/healthz`, timeoutMs: 60_000, everyMs: 50 },
  )
  return url
}
