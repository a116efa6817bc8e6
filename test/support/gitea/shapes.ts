// Converts git objects into Gitea's API JSON (services/convert), fields in Go's order.

import type {
  GiteaBranch,
  GiteaRepository,
  GiteaUser,
  PayloadCommit,
  PayloadCommitVerification,
  PayloadUser,
} from './api-types.js'
import { type CommitInfo, type FileStatus, readCommit } from './commits.js'
import { GO_ZERO_TIME, goPathEscape, goTime } from './go-json.js'
import type { GitRepo } from './repo.js'

/** Fixed creation time of every fake user and repository. */
const CREATED = '2024-01-01T00:00:00Z'

/** Gitea's AppURL always ends with a slash. */
export function appUrl(repo: GitRepo): string {
  return `${repo.baseUrl.replace(/\/+$/, '')}/`
}

export function repoHtmlUrl(repo: GitRepo): string {
  return `${appUrl(repo)}${goPathEscape(repo.owner)}/${goPathEscape(repo.name)}`
}

export function repoApiUrl(repo: GitRepo): string {
  return `${appUrl(repo)}api/v1/repos/${goPathEscape(repo.owner)}/${goPathEscape(repo.name)}`
}

/** Stable small ids for user names, so the same name always gets the same id. */
const userIds = new Map<string, number>()
function userId(login: string): number {
  const key = login.toLowerCase()
  let id = userIds.get(key)
  if (id === undefined) {
    id = userIds.size + 1
    userIds.set(key, id)
  }
  return id
}

/**
 * convert.ToUser for a viewer without rights: the real address is replaced by the
 * placeholder `<login>@noreply.localhost` (Gitea's default NO_REPLY_ADDRESS).
 */
export function toUser(baseUrl: string, login: string): GiteaUser {
  const root = `${baseUrl.replace(/\/+$/, '')}/`
  return {
    id: userId(login),
    login,
    login_name: '',
    source_id: 0,
    full_name: '',
    email: `${login.toLowerCase()}@noreply.localhost`,
    avatar_url: `${root}avatars/${userId(login)}`,
    html_url: `${root}${goPathEscape(login)}`,
    language: '',
    is_admin: false,
    last_login: GO_ZERO_TIME,
    created: CREATED,
    restricted: false,
    active: false,
    prohibit_login: false,
    location: '',
    website: '',
    description: '',
    visibility: 'public',
    followers_count: 0,
    following_count: 0,
    starred_repos_count: 0,
    username: login,
  }
}

export interface ToRepositoryOptions {
  private?: boolean
  /** AccessModeOwner (push events: all true) or AccessModeNone (Test Delivery: all false). */
  admin?: boolean
}

/** convert.ToRepo for the payload's `repository` field. */
export function toRepository(repo: GitRepo, options: ToRepositoryOptions = {}): GiteaRepository {
  const root = appUrl(repo)
  const admin = options.admin ?? true
  return {
    id: repo.id,
    owner: toUser(repo.baseUrl, repo.owner),
    name: repo.name,
    full_name: repo.fullName,
    description: repo.description,
    empty: false,
    private: options.private ?? false,
    fork: false,
    template: false,
    mirror: false,
    size: 0,
    language: '',
    languages_url: `${repoApiUrl(repo)}/languages`,
    html_url: repoHtmlUrl(repo),
    url: repoApiUrl(repo),
    link: '',
    ssh_url: `git@${new URL(root).hostname}:${repo.owner}/${repo.name}.git`,
    clone_url: `${repoHtmlUrl(repo)}.git`,
    original_url: '',
    website: '',
    stars_count: 0,
    forks_count: 0,
    watchers_count: 1,
    open_issues_count: 0,
    open_pr_counter: 0,
    release_counter: 0,
    default_branch: repo.defaultBranch,
    archived: false,
    created_at: CREATED,
    updated_at: CREATED,
    archived_at: '1970-01-01T00:00:00Z',
    permissions: { admin, push: admin, pull: admin },
    has_issues: true,
    has_wiki: true,
    has_pull_requests: true,
    has_projects: true,
    has_releases: true,
    has_packages: true,
    has_actions: true,
    default_merge_style: 'merge',
    avatar_url: '',
    internal: false,
    mirror_interval: '',
    object_format_name: repo.objectFormat,
    mirror_updated: GO_ZERO_TIME,
    topics: [],
    licenses: [],
  }
}

/** What Gitea's ToVerification says about an unsigned commit. */
export const UNSIGNED: PayloadCommitVerification = {
  verified: false,
  reason: 'gpg.error.not_signed_commit',
  signature: '',
  signer: null,
  payload: '',
}

export interface PayloadCommitOptions {
  files?: FileStatus | null
  verification?: PayloadCommitVerification | null
}

/**
 * A commit as PayloadCommit: timestamp is the author date, usernames are empty because no
 * Gitea account owns the fixed author address.
 */
export function toPayloadCommit(
  repo: GitRepo,
  commit: CommitInfo,
  options: PayloadCommitOptions = {},
): PayloadCommit {
  const person = (s: CommitInfo['author']): PayloadUser => ({
    name: s.name,
    email: s.email,
    username: '',
  })
  return {
    id: commit.id,
    message: commit.message,
    url: `${repoHtmlUrl(repo)}/commit/${goPathEscape(commit.id)}`,
    author: person(commit.author),
    committer: person(commit.committer),
    verification: options.verification ?? null,
    timestamp: goTime(commit.author.when, commit.author.tz),
    added: options.files?.added ?? null,
    removed: options.files?.removed ?? null,
    modified: options.files?.modified ?? null,
  }
}

/** convert.ToBranch for an unprotected branch read without write access. */
export async function toBranch(
  repo: GitRepo,
  name: string,
  commitId: string,
): Promise<GiteaBranch> {
  const commit = await readCommit(repo.dir, commitId)
  return {
    name,
    commit: toPayloadCommit(repo, commit, { verification: UNSIGNED }),
    protected: false,
    required_approvals: 0,
    enable_status_check: false,
    status_check_contexts: [],
    user_can_push: false,
    user_can_merge: false,
    effective_branch_protection_name: '',
  }
}
