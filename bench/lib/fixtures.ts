// Template repositories for the bench: incompressible payloads, long commit chains made in one
// `git fast-import`, branch moves without spawning git, and push payloads for many commits.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gitEnv } from '../../test/support/git.js'
import {
  GIT_AUTHOR,
  type GitRepo,
  type PushPayload,
  pushPayload,
  type RepoFiles,
} from '../../test/support/gitea/index.js'

/** `total` bytes of random (incompressible) data under `dir`, in files of at most `fileSize`. */
export function randomFiles(dir: string, total: number, fileSize: number): RepoFiles {
  const files: RepoFiles = {}
  for (let i = 0, left = total; left > 0; i++, left -= fileSize) {
    files[`${dir}/blob-${String(i).padStart(3, '0')}.bin`] = randomBytes(Math.min(fileSize, left))
  }
  return files
}

/**
 * Appends `count` commits to `branch` (created from the default branch's head), each rewriting
 * `path` with a small distinct text. Returns the commit ids, oldest first.
 */
export async function commitChain(
  repo: GitRepo,
  branch: string,
  count: number,
  path = 'prompts/burst.md',
): Promise<string[]> {
  const from = await repo.head()
  const lines: string[] = []
  const when = 1_735_689_600 // 2025-01-01, after createRepo's commits
  for (let i = 0; i < count; i++) {
    const message = `burst ${i}\n`
    const content = `push ${i}\n`
    lines.push(
      `commit refs/heads/${branch}`,
      `mark :${i + 1}`,
      `committer ${GIT_AUTHOR.name} <${GIT_AUTHOR.email}> ${when + i} +0000`,
      `data ${Buffer.byteLength(message)}`,
      message,
      ...(i === 0 ? [`from ${from}`] : []),
      `M 100644 inline ${path}`,
      `data ${Buffer.byteLength(content)}`,
      content,
    )
  }
  await new Promise<void>((resolve, reject) => {
    const child = spawn('git', ['fast-import', '--quiet'], {
      cwd: repo.dir,
      env: gitEnv(),
      stdio: ['pipe', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString()
    })
    child.once('error', reject)
    child.once('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`git fast-import: ${code} ${stderr}`)),
    )
    child.stdin.end(`${lines.join('\n')}\n`)
  })
  const ids = (await repo.git('rev-list', '--reverse', `${from}..refs/heads/${branch}`))
    .trim()
    .split('\n')
  if (ids.length !== count) throw new Error(`expected ${count} commits, got ${ids.length}`)
  return ids
}

/**
 * Points `refs/heads/<branch>` at `commit` by writing the loose ref (write + rename, as git's
 * lock file does), so a burst of pushes moves the branch without a git process per push.
 */
export function moveBranch(repo: GitRepo, branch: string, commit: string): void {
  const ref = join(repo.dir, '.git', 'refs', 'heads', branch)
  writeFileSync(`${ref}.lock`, `${commit}\n`)
  renameSync(`${ref}.lock`, ref)
}

/** Push payloads for `commits` (oldest first) on the default branch, built from one real payload. */
export async function pushPayloads(repo: GitRepo, commits: string[]): Promise<PushPayload[]> {
  const base = await pushPayload(repo)
  const template = base.head_commit ?? base.commits[0]
  return commits.map((after, i) => {
    const before = i === 0 ? base.after : commits[i - 1]!
    const commit = template
      ? { ...template, id: after, url: template.url.replace(base.after, after) }
      : null
    return {
      ...base,
      before,
      after,
      compare_url: base.compare_url.replace(
        /[0-9a-f]{40}\.\.\.[0-9a-f]{40}$/,
        `${before}...${after}`,
      ),
      commits: commit ? [commit] : [],
      total_commits: 1,
      head_commit: commit,
    }
  })
}

/** Runs `tasks` with at most `limit` in flight; resolves with their results in order. */
export async function withLimit<T>(limit: number, tasks: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(tasks.length)
  let next = 0
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++
      results[i] = await tasks[i]!()
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker))
  return results
}
