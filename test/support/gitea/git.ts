// Runs git for the fake Gitea, isolated from the user's and the system's git configuration.
import { type ChildProcessByStdio, execFile, spawn } from 'node:child_process'
import { devNull } from 'node:os'
import type { Readable } from 'node:stream'
import { promisify } from 'node:util'

const execFileAsync = promisify(execFile)

/** Fixed identity: the same files and dates give the same commit ids on every machine. */
export const GIT_AUTHOR = { name: 'Template Bot', email: 'template-bot@example.com' } as const

/** Inherited variables that would point git at another repository or configuration. */
const LEAKY = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_OBJECT_DIRECTORY',
  'GIT_NAMESPACE',
]

export function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const key of LEAKY) delete env[key]
  return {
    ...env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: devNull,
    GIT_TERMINAL_PROMPT: '0',
    LC_ALL: 'C',
    ...extra,
  }
}

/** Settings that make commits and archives independent of the host. */
const CONFIG = [
  '-c',
  'commit.gpgsign=false',
  '-c',
  'core.autocrlf=false',
  '-c',
  'core.symlinks=true',
]

export interface GitRunOptions {
  env?: Record<string, string>
}

/** Runs git in `dir` and returns stdout; a failure throws with git's stderr in the message. */
export async function git(
  dir: string,
  args: string[],
  options: GitRunOptions = {},
): Promise<string> {
  try {
    const { stdout } = await execFileAsync('git', [...CONFIG, ...args], {
      cwd: dir,
      env: gitEnv(options.env),
      maxBuffer: 256 * 1024 * 1024,
      encoding: 'utf8',
    })
    return stdout
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim()
    throw new Error(`git ${args.join(' ')} failed in ${dir}: ${stderr ?? String(error)}`)
  }
}

/** Like git() but answers null instead of throwing, for lookups that may miss. */
export async function gitMaybe(dir: string, args: string[]): Promise<string | null> {
  try {
    return await git(dir, args)
  } catch {
    return null
  }
}

/** Starts git with stdout as a stream (for `git archive`); the caller owns the process. */
export function spawnGit(
  dir: string,
  args: string[],
): ChildProcessByStdio<null, Readable, Readable> {
  return spawn('git', [...CONFIG, ...args], {
    cwd: dir,
    env: gitEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}
