// Gitea's API JSON shapes (modules/structs), fields in the order Go declares them.

/** structs.PayloadUser */
export interface PayloadUser {
  name: string
  email: string
  username: string
}

/** structs.PayloadCommitVerification */
export interface PayloadCommitVerification {
  verified: boolean
  reason: string
  signature: string
  signer: PayloadUser | null
  payload: string
}

/** structs.PayloadCommit; added/removed/modified are null where Gitea leaves them nil. */
export interface PayloadCommit {
  id: string
  message: string
  url: string
  author: PayloadUser
  committer: PayloadUser
  verification: PayloadCommitVerification | null
  timestamp: string
  added: string[] | null
  removed: string[] | null
  modified: string[] | null
}

/** structs.User, plus the `username` alias its MarshalJSON appends. */
export interface GiteaUser {
  id: number
  login: string
  login_name: string
  source_id: number
  full_name: string
  email: string
  avatar_url: string
  html_url: string
  language: string
  is_admin: boolean
  last_login: string
  created: string
  restricted: boolean
  active: boolean
  prohibit_login: boolean
  location: string
  website: string
  description: string
  visibility: string
  followers_count: number
  following_count: number
  starred_repos_count: number
  username: string
}

/** structs.Repository (the fields a webhook receiver may read; omitempty ones left out). */
export interface GiteaRepository {
  id: number
  owner: GiteaUser
  name: string
  full_name: string
  description: string
  empty: boolean
  private: boolean
  fork: boolean
  template: boolean
  mirror: boolean
  size: number
  language: string
  languages_url: string
  html_url: string
  url: string
  link: string
  ssh_url: string
  clone_url: string
  original_url: string
  website: string
  stars_count: number
  forks_count: number
  watchers_count: number
  open_issues_count: number
  open_pr_counter: number
  release_counter: number
  default_branch: string
  archived: boolean
  created_at: string
  updated_at: string
  archived_at: string
  permissions: { admin: boolean; push: boolean; pull: boolean }
  has_issues: boolean
  has_wiki: boolean
  has_pull_requests: boolean
  has_projects: boolean
  has_releases: boolean
  has_packages: boolean
  has_actions: boolean
  default_merge_style: string
  avatar_url: string
  internal: boolean
  mirror_interval: string
  object_format_name: string
  mirror_updated: string
  topics: string[]
  licenses: string[]
}

/** structs.Branch, as GET /repos/{owner}/{repo}/branches/{branch} answers it. */
export interface GiteaBranch {
  name: string
  commit: PayloadCommit
  protected: boolean
  required_approvals: number
  enable_status_check: boolean
  status_check_contexts: string[]
  user_can_push: boolean
  user_can_merge: boolean
  effective_branch_protection_name: string
}
