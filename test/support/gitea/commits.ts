// Reads commits out of a repository the way Gitea's git module sees them.
import { git, gitMaybe } from '../git.js'

export interface Signature {
  name: string
  email: string
  /** Seconds since the epoch. */
  when: number
  /** Git's `+hhmm` zone. */
  tz: string
}

export interface CommitInfo {
  id: string
  parents: string[]
  author: Signature
  committer: Signature
  /** The raw message as stored, trailing newline included (Gitea's commit.Message()). */
  message: string
}

export interface FileStatus {
  added: string[]
  removed: string[]
  modified: string[]
}

const SIGNATURE = /^(.*) <(.*)> (\d+) ([+-]\d{4})$/

function parseSignature(line: string): Signature {
  const match = SIGNATURE.exec(line)
  if (!match) throw new Error(`unparseable git signature: ${line}`)
  return { name: match[1]!, email: match[2]!, when: Number(match[3]), tz: match[4]! }
}

/** Parses `git cat-file commit` output: headers, a blank line, then the message. */
export async function readCommit(dir: string, id: string): Promise<CommitInfo> {
  const raw = await git(dir, ['cat-file', 'commit', id])
  const split = raw.indexOf('\n\n')
  const head = split === -1 ? raw : raw.slice(0, split)
  const message = split === -1 ? '' : raw.slice(split + 2)
  const parents: string[] = []
  let author: Signature | undefined
  let committer: Signature | undefined
  for (const line of head.split('\n')) {
    // Continuation lines (a gpgsig block) start with a space and are skipped.
    if (line.startsWith('parent ')) parents.push(line.slice(7))
    else if (line.startsWith('author ')) author = parseSignature(line.slice(7))
    else if (line.startsWith('committer ')) committer = parseSignature(line.slice(10))
  }
  if (!author || !committer) throw new Error(`commit ${id} has no author or committer`)
  return { id, parents, author, committer, message }
}

/** Added/removed/modified paths of one commit, renames off, as Gitea's GetCommitFileStatus. */
export async function fileStatus(dir: string, id: string): Promise<FileStatus> {
  const out = await git(dir, [
    'diff-tree',
    '--root',
    '--no-commit-id',
    '--name-status',
    '-r',
    '--no-renames',
    '-z',
    id,
  ])
  const status: FileStatus = { added: [], removed: [], modified: [] }
  const fields = out.split('\0')
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const kind = fields[i]!
    const path = fields[i + 1]!
    if (kind === 'A') status.added.push(path)
    else if (kind === 'D') status.removed.push(path)
    else status.modified.push(path)
  }
  return status
}

/** Commits reachable from `to` but not `from`, newest first (from = null: up to `limit`). */
export async function commitsBetween(
  dir: string,
  from: string | null,
  to: string,
  limit?: number,
): Promise<string[]> {
  const args = ['rev-list']
  if (limit !== undefined) args.push(`--max-count=${limit}`)
  args.push(from === null ? to : `${from}..${to}`)
  const out = await git(dir, args)
  return out.split('\n').filter((line) => line.length > 0)
}

/** The commit a ref or sha names, or null; never interprets the ref as an option. */
export async function resolveCommit(dir: string, ref: string): Promise<string | null> {
  const out = await gitMaybe(dir, [
    'rev-parse',
    '--verify',
    '--quiet',
    '--end-of-options',
    `${ref}^{commit}`,
  ])
  return out === null ? null : out.trim()
}

/** Whether an object of any type with this id exists. */
export async function objectExists(dir: string, id: string): Promise<boolean> {
  return (await gitMaybe(dir, ['cat-file', '-e', id])) !== null
}
