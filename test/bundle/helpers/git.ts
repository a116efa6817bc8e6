// Real template repositories made with git in a temp dir, archived like Gitea does.
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

const env = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
}

export function git(cwd: string, ...args: string[]): Buffer {
  return execFileSync('git', args, { cwd, env, maxBuffer: 256 * 1024 * 1024 })
}

export type TreeEntry =
  | string
  | Buffer
  | { content: string | Buffer; executable: true }
  | { symlink: string }

/** Writes `tree` into `dir`, initialises a repository there and commits everything. */
export function commitTree(dir: string, tree: Record<string, TreeEntry>): string {
  git(dir, 'init', '-q', '-b', 'main')
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
  git(dir, 'add', '-A')
  git(dir, 'commit', '-q', '-m', 'template')
  return git(dir, 'rev-parse', 'HEAD').toString().trim()
}

/** `git archive --format=tar.gz --prefix=<prefix>/ HEAD`, as Gitea serves it. */
export function archive(dir: string, prefix: string, format: 'tar.gz' | 'tar' = 'tar.gz'): Buffer {
  return git(dir, 'archive', `--format=${format}`, `--prefix=${prefix}/`, 'HEAD')
}
