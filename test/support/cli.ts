// The CLI as a child process (asynchronous, so a server in the test's own process keeps
// answering while it runs), with exactly the environment given.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const MAIN = join(ROOT, 'src/main.ts')

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

export interface CliOptions {
  /** Run as this user and group (tests running as root use it to meet permissions for real). */
  uid?: number
  gid?: number
  input?: string
}

/** Runs `asset-cache ARGS` with `env` and nothing else (not even PATH). */
export function cli(
  args: string[],
  env: Record<string, string> = {},
  options: CliOptions = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      cwd: ROOT,
      env,
      ...(options.uid !== undefined ? { uid: options.uid } : {}),
      ...(options.gid !== undefined ? { gid: options.gid } : {}),
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(options.input ?? '')
  })
}

/** Root can write anywhere: tests that need a permission refused run the CLI as `nobody`. */
export const AS_UNPRIVILEGED: CliOptions =
  process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {}
