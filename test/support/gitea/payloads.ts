// Webhook payloads built the way Gitea builds them (modules/structs/hook.go, services/repository/push.go).

import type { GiteaRepository, GiteaUser, PayloadCommit } from './api-types.js'
import { commitsBetween, fileStatus, readCommit } from './commits.js'
import { GO_ZERO_TIME } from './go-json.js'
import type { GitRepo, RepoFiles } from './repo.js'
import { repoHtmlUrl, toPayloadCommit, toRepository, toUser } from './shapes.js'

/** structs.PushPayload */
export interface PushPayload {
  ref: string
  before: string
  after: string
  compare_url: string
  commits: PayloadCommit[]
  total_commits: number
  head_commit: PayloadCommit | null
  repository: GiteaRepository
  pusher: GiteaUser
  sender: GiteaUser
}

/** structs.CreatePayload */
export interface CreatePayload {
  sha: string
  ref: string
  ref_type: 'branch' | 'tag'
  repository: GiteaRepository
  sender: GiteaUser
}

/** structs.DeletePayload */
export interface DeletePayload {
  ref: string
  ref_type: 'branch' | 'tag'
  pusher_type: 'user'
  repository: GiteaRepository
  sender: GiteaUser
}

/** setting.UI.FeedMaxCommitNum: Gitea lists at most this many commits in a push payload. */
export const FEED_MAX_COMMIT_NUM = 5

/** Who pushed, unless a builder is told otherwise. */
export const DEFAULT_PUSHER = 'gitea-admin'

interface Common {
  pusher?: string
  private?: boolean
}

export interface PushPayloadOptions extends Common {
  /** Full ref (`refs/heads/main`, `refs/tags/v1`); default: the default branch. */
  ref?: string
  /** Default: first parent of `after`, or the zero id for a root commit. */
  before?: string
  /** Default: current commit of `ref`. The zero id describes a deletion. */
  after?: string
  /** Commit ids, newest first; default: `before..after` (a new ref: up to 10 from `after`). */
  commits?: string[]
}

function branchRef(ref: string): string {
  return ref.startsWith('refs/') ? ref : `refs/heads/${ref}`
}

async function payloadCommit(repo: GitRepo, id: string): Promise<PayloadCommit> {
  const [commit, files] = await Promise.all([readCommit(repo.dir, id), fileStatus(repo.dir, id)])
  return toPayloadCommit(repo, commit, { files })
}

/**
 * A push as Gitea reports it: commits newest first and capped at FEED_MAX_COMMIT_NUM,
 * total_commits counting them all, head_commit the new tip, compare_url before...after.
 */
export async function pushPayload(
  repo: GitRepo,
  options: PushPayloadOptions = {},
): Promise<PushPayload> {
  const ref = branchRef(options.ref ?? repo.defaultBranch)
  const after = options.after ?? (await repo.resolve(ref))
  if (after === null) throw new Error(`${repo.fullName}: ${ref} does not exist`)
  const deleted = after === repo.zeroId
  let before = options.before
  if (before === undefined) {
    before = deleted ? repo.zeroId : ((await readCommit(repo.dir, after)).parents[0] ?? repo.zeroId)
  }
  let ids: string[] = []
  if (options.commits) ids = options.commits
  else if (!deleted) {
    ids =
      before === repo.zeroId
        ? await commitsBetween(repo.dir, null, after, 10)
        : await commitsBetween(repo.dir, before, after)
  }
  const commits = await Promise.all(
    ids.slice(0, FEED_MAX_COMMIT_NUM).map((id) => payloadCommit(repo, id)),
  )
  const pusher = toUser(repo.baseUrl, options.pusher ?? DEFAULT_PUSHER)
  return {
    ref,
    before,
    after,
    compare_url: `${repoHtmlUrl(repo)}/compare/${before}...${after}`,
    commits,
    total_commits: ids.length,
    head_commit: deleted
      ? null
      : (commits.find((c) => c.id === after) ?? (await payloadCommit(repo, after))),
    repository: toRepository(repo, { private: options.private }),
    pusher,
    sender: pusher,
  }
}

export interface RefPayloadOptions extends Common {
  /** Short name as Gitea sends it: `main`, `v1.0` (not `refs/heads/main`). */
  ref: string
  refType?: 'branch' | 'tag'
}

/** A branch or tag was created (`create` event). */
export async function createPayload(
  repo: GitRepo,
  options: RefPayloadOptions & { sha?: string },
): Promise<CreatePayload> {
  const refType = options.refType ?? 'branch'
  const full = `refs/${refType === 'branch' ? 'heads' : 'tags'}/${options.ref}`
  const sha = options.sha ?? (await repo.resolve(full))
  if (sha === null) throw new Error(`${repo.fullName}: ${full} does not exist`)
  return {
    sha,
    ref: options.ref,
    ref_type: refType,
    repository: toRepository(repo, { private: options.private }),
    sender: toUser(repo.baseUrl, options.pusher ?? DEFAULT_PUSHER),
  }
}

/** A branch or tag was deleted (`delete` event). */
export function deletePayload(repo: GitRepo, options: RefPayloadOptions): DeletePayload {
  return {
    ref: options.ref,
    ref_type: options.refType ?? 'branch',
    pusher_type: 'user',
    repository: toRepository(repo, { private: options.private }),
    sender: toUser(repo.baseUrl, options.pusher ?? DEFAULT_PUSHER),
  }
}

export interface TestDeliveryOptions extends Common {
  /**
   * `fake` (Gitea ≥ 1.22, routers/web/repo/setting/webhook.go TestWebhook): the commit is the
   * zero id, "This is a fake commit", by Ghost. `head`: older Gitea used the default branch head.
   */
  commit?: 'fake' | 'head'
}

/** The "Test Delivery" button: a push event on the default branch with before == after. */
export async function testDeliveryPayload(
  repo: GitRepo,
  options: TestDeliveryOptions = {},
): Promise<PushPayload> {
  let commit: PayloadCommit
  if ((options.commit ?? 'fake') === 'fake') {
    const ghost = { name: 'Ghost', email: '', username: '' }
    commit = {
      id: repo.zeroId,
      message: 'This is a fake commit',
      url: `${repoHtmlUrl(repo)}/commit/${repo.zeroId}`,
      author: ghost,
      committer: ghost,
      verification: null,
      timestamp: GO_ZERO_TIME,
      added: null,
      removed: null,
      modified: null,
    }
  } else {
    const info = await readCommit(repo.dir, await repo.head())
    // TestWebhook sets neither the timestamp nor the file lists.
    commit = { ...toPayloadCommit(repo, info), timestamp: GO_ZERO_TIME }
  }
  const doer = toUser(repo.baseUrl, options.pusher ?? DEFAULT_PUSHER)
  return {
    ref: `refs/heads/${repo.defaultBranch}`,
    before: commit.id,
    after: commit.id,
    compare_url: `${repoHtmlUrl(repo)}/compare/${commit.id}...${commit.id}`,
    commits: [commit],
    total_commits: 1,
    head_commit: commit,
    repository: toRepository(repo, { private: options.private, admin: false }),
    pusher: doer,
    sender: doer,
  }
}

/** Commits `files` on a branch and returns the push payload Gitea would send for it. */
export async function push(
  repo: GitRepo,
  files: RepoFiles,
  options: { branch?: string; message?: string; delete?: string[]; pusher?: string } = {},
): Promise<PushPayload> {
  const branch = options.branch ?? repo.defaultBranch
  const before = (await repo.resolve(`refs/heads/${branch}`)) ?? repo.zeroId
  const after = await repo.commit(files, {
    branch,
    message: options.message,
    delete: options.delete,
  })
  return pushPayload(repo, { ref: `refs/heads/${branch}`, before, after, pusher: options.pusher })
}
