// Runs git for the tests, the fake Gitea and the bench, isolated from the user's and the system's
// git configuration; and small template repositories committed and archived like Gitea does.
import { type ChildProcessByStdio, execFile, spawn } from 'node:child_process'
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { devNull } from 'node:os'
import { dirname, join } from 'node:path'
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
    GIT_AUTHOR_NAME: GIT_AUTHOR.name,
    GIT_AUTHOR_EMAIL: GIT_AUTHOR.email,
    GIT_COMMITTER_NAME: GIT_AUTHOR.name,
    GIT_COMMITTER_EMAIL: GIT_AUTHOR.email,
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
  /** Answer stdout as bytes (archives) rather than text. */
  bytes?: boolean
}

/** Runs git in `dir` and returns stdout; a failure throws with git's stderr in the message. */
export function git(
  dir: string,
  args: string[],
  options?: GitRunOptions & { bytes?: false },
): Promise<string>
export function git(
  dir: string,
  args: string[],
  options: GitRunOptions & { bytes: true },
): Promise<Buffer>
export async function git(
  dir: string,
  args: string[],
  options: GitRunOptions = {},
): Promise<string | Buffer> {
  try {
    const { stdout } = await execFileAsync('git', [...CONFIG, ...args], {
      cwd: dir,
      env: gitEnv(options.env),
      maxBuffer: 256 * 1024 * 1024,
      encoding: options.bytes ? 'buffer' : 'utf8',
    })
    return stdout
  } catch (error) {
    const stderr = (error as { stderr?: string | Buffer }).stderr?.toString().trim()
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

export type TreeEntry =
  | string
  | Buffer
  | { content: string | Buffer; executable: true }
  | { symlink: string }

/** Writes `tree` into `dir`, initialises a repository there and commits everything. */
export async function commitTree(dir: string, tree: Record<string, TreeEntry>): Promise<string> {
  await git(dir, ['init', '-q', '-b', 'main'])
  for (const [path, entry] of Object.entries(tree)) {
    const target = join(dir, path)
    mkdirSync(dirname(target), { recursive: true })
    if (typeof entry === 'string' || Buffer.isBuffer(entry)) {
      writeFileSync(target, entry)
    } else if ('symlink' in entry) {
      symlinkSync(entry.symlink, target)
    } else {
      writeFileSync(target, entry.content)
      chmodSync(target, 0o755)
    }
  }
  await git(dir, ['add', '-A'])
  await git(dir, ['commit', '-q', '-m', 'template'])
  return (await git(dir, ['rev-parse', 'HEAD'])).trim()
}

/** `git archive --format=tar.gz --prefix=<prefix>/ HEAD`, as Gitea serves it. */
export function archive(
  dir: string,
  prefix: string,
  format: 'tar.gz' | 'tar' = 'tar.gz',
): Promise<Buffer> {
  return git(dir, ['archive', `--format=${format}`, `--prefix=${prefix}/`, 'HEAD'], { bytes: true })
}
