// Real git repositories in temp dirs, with deterministic commits, for the fake Gitea to serve.
import { chmod, lstat, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve, sep } from 'node:path'
import { GIT_AUTHOR, git } from '../git.js'
import { resolveCommit } from './commits.js'

/** A file to write: text or bytes (mode 0644), an executable, or a symbolic link. */
export type RepoFile =
  | string
  | Uint8Array
  | { content: string | Uint8Array; mode?: 0o644 | 0o755 }
  | { symlink: string }

export type RepoFiles = Record<string, RepoFile>

export type ObjectFormat = 'sha1' | 'sha256'

export interface CreateRepoOptions {
  owner: string
  name: string
  defaultBranch?: string
  files?: RepoFiles
  objectFormat?: ObjectFormat
  /** Date of the first commit; each later commit is one minute after the previous one. */
  date?: string | Date
  message?: string
  description?: string
  /** Directory to create the repository under (default: the OS temp dir). */
  parentDir?: string
}

export interface CommitOptions {
  message?: string
  /** Paths (files or directories) to remove in this commit. */
  delete?: string[]
  /** Branch to commit on (created from the current head if missing); default: current. */
  branch?: string
  date?: string | Date
}

export interface GitRepo {
  /** Gitea's numeric repository id, unique within the process. */
  readonly id: number
  readonly owner: string
  readonly name: string
  /** `owner/name` as given (Gitea matches it case-insensitively). */
  readonly fullName: string
  readonly dir: string
  readonly defaultBranch: string
  readonly objectFormat: ObjectFormat
  /** The all-zero id of this object format (Gitea's EmptyObjectID). */
  readonly zeroId: string
  description: string
  /** Gitea's ROOT_URL without the trailing slash; startFakeGitea().addRepo points it at the server. */
  baseUrl: string
  /** Writes files, removes `delete`, commits; returns the new full commit id. */
  commit(files: RepoFiles, options?: CommitOptions): Promise<string>
  /** Full commit id of a branch (default branch when omitted). */
  head(branch?: string): Promise<string>
  /** Creates a branch at `from` (default: current head); returns its commit id. */
  branch(name: string, from?: string): Promise<string>
  /** Creates a lightweight tag at `target` (default: current head); returns its commit id. */
  tag(name: string, target?: string): Promise<string>
  deleteBranch(name: string): Promise<void>
  deleteTag(name: string): Promise<void>
  /** Commit id a ref, tag or (short) sha names, or null. */
  resolve(ref: string): Promise<string | null>
  /** Runs any git command in the repository (escape hatch for unusual histories). */
  git(...args: string[]): Promise<string>
  /** Deletes the repository directory. */
  remove(): Promise<void>
}

const DEFAULT_DATE = '2024-01-01T00:00:00Z'
let nextRepoId = 1

function toEpoch(date: string | Date): number {
  const ms = (typeof date === 'string' ? new Date(date) : date).getTime()
  if (Number.isNaN(ms)) throw new Error(`invalid commit date: ${String(date)}`)
  return Math.floor(ms / 1000)
}

function insideRepo(dir: string, path: string): string {
  const full = resolve(dir, path)
  if (
    !full.startsWith(dir + sep) ||
    full === join(dir, '.git') ||
    full.startsWith(join(dir, '.git') + sep)
  ) {
    throw new Error(`path escapes the work tree or touches .git: ${path}`)
  }
  return full
}

async function writeRepoFile(dir: string, path: string, file: RepoFile): Promise<void> {
  const full = insideRepo(dir, path)
  await mkdir(dirname(full), { recursive: true })
  const existing = await lstat(full).catch(() => null)
  if (existing) await rm(full, { recursive: true, force: true })
  if (typeof file === 'object' && 'symlink' in file) {
    await symlink(file.symlink, full)
    return
  }
  const content = typeof file === 'string' || file instanceof Uint8Array ? file : file.content
  const mode = typeof file === 'object' && 'mode' in file && file.mode ? file.mode : 0o644
  await writeFile(full, content)
  await chmod(full, mode)
}

export async function createRepo(options: CreateRepoOptions): Promise<GitRepo> {
  const objectFormat = options.objectFormat ?? 'sha1'
  const defaultBranch = options.defaultBranch ?? 'main'
  const dir = await mkdtemp(join(options.parentDir ?? tmpdir(), 'fake-gitea-'))
  await git(dir, ['init', '-q', `--object-format=${objectFormat}`, '-b', defaultBranch])

  let nextDate = toEpoch(options.date ?? DEFAULT_DATE)
  let current = defaultBranch

  const run = (...args: string[]) => git(dir, args)
  const checkout = async (branch: string) => {
    if (branch === current) return
    const exists = await resolveCommit(dir, `refs/heads/${branch}`)
    await run('checkout', '-q', ...(exists ? [branch] : ['-b', branch]))
    current = branch
  }

  const commit = async (files: RepoFiles, commitOptions: CommitOptions = {}): Promise<string> => {
    if (commitOptions.branch) await checkout(commitOptions.branch)
    for (const path of commitOptions.delete ?? []) {
      await rm(insideRepo(dir, path), { recursive: true, force: true })
    }
    for (const [path, file] of Object.entries(files)) await writeRepoFile(dir, path, file)
    await run('add', '-A')
    const when = commitOptions.date === undefined ? nextDate : toEpoch(commitOptions.date)
    nextDate = when + 60
    const date = `@${when} +0000`
    await git(
      dir,
      [
        'commit',
        '-q',
        '--allow-empty',
        '--no-verify',
        '-m',
        commitOptions.message ?? 'Update template',
      ],
      {
        env: {
          GIT_AUTHOR_NAME: GIT_AUTHOR.name,
          GIT_AUTHOR_EMAIL: GIT_AUTHOR.email,
          GIT_AUTHOR_DATE: date,
          GIT_COMMITTER_NAME: GIT_AUTHOR.name,
          GIT_COMMITTER_EMAIL: GIT_AUTHOR.email,
          GIT_COMMITTER_DATE: date,
        },
      },
    )
    return (await run('rev-parse', 'HEAD')).trim()
  }

  const mustResolve = async (ref: string): Promise<string> => {
    const id = await resolveCommit(dir, ref)
    if (id === null) throw new Error(`${options.owner}/${options.name}: unknown ref ${ref}`)
    return id
  }

  await commit(options.files ?? {}, { message: options.message ?? 'Initial commit' })

  const repo: GitRepo = {
    id: nextRepoId++,
    owner: options.owner,
    name: options.name,
    fullName: `${options.owner}/${options.name}`,
    dir,
    defaultBranch,
    objectFormat,
    zeroId: '0'.repeat(objectFormat === 'sha256' ? 64 : 40),
    description: options.description ?? '',
    baseUrl: 'http://localhost:3000',
    commit,
    head: (branch = defaultBranch) => mustResolve(`refs/heads/${branch}`),
    async branch(name, from) {
      const target = await mustResolve(from ?? 'HEAD')
      await run('branch', '--', name, target)
      return target
    },
    async tag(name, target) {
      const id = await mustResolve(target ?? 'HEAD')
      await run('tag', '--', name, id)
      return id
    },
    async deleteBranch(name) {
      if (name === current && name === defaultBranch) {
        await run('checkout', '-q', '--detach')
        current = ''
      } else if (name === current) {
        await checkout(defaultBranch)
      }
      await run('branch', '-q', '-D', '--', name)
    },
    async deleteTag(name) {
      await run('tag', '-d', '--', name)
    },
    resolve: (ref) => resolveCommit(dir, ref),
    git: run,
    remove: () => rm(dir, { recursive: true, force: true }),
  }
  return repo
}
