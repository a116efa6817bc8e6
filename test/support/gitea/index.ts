// A Gitea-compatible test server over real git repositories, with fault injection and real webhooks.

export { GIT_AUTHOR } from '../git.js'
export type {
  GiteaBranch,
  GiteaRepository,
  GiteaUser,
  PayloadCommit,
  PayloadUser,
} from './api-types.js'
export type { CommitInfo, FileStatus, Signature } from './commits.js'
export type { ArchiveMode, FakeGiteaCounters, RequestRecord } from './context.js'
export {
  type Fault,
  FaultBook,
  type FaultHandle,
  type FaultKind,
  type FaultRule,
  fault,
  type InjectOptions,
  type RouteKind,
} from './faults.js'
export { DEFAULT_GENERATE_WAIT_MS, parseRange } from './generate.js'
export { GO_ZERO_TIME, goMarshalIndent, goQueryEscape } from './go-json.js'
export { branchFilterMatches, HookBook, type StoredHook } from './hooks.js'
export {
  type ObjectStorage,
  type StorageRequest,
  startObjectStorage,
} from './object-storage.js'
export {
  type CreatePayload,
  createPayload,
  DEFAULT_PUSHER,
  type DeletePayload,
  deletePayload,
  FEED_MAX_COMMIT_NUM,
  type PushPayload,
  type PushPayloadOptions,
  push,
  pushPayload,
  type RefPayloadOptions,
  type TestDeliveryOptions,
  testDeliveryPayload,
} from './payloads.js'
export {
  type CommitOptions,
  type CreateRepoOptions,
  createRepo,
  type GitRepo,
  type ObjectFormat,
  type RepoFile,
  type RepoFiles,
} from './repo.js'
export type { StoredStatus, TokenAccess } from './repo-api.js'
export {
  type AddRepoOptions,
  type FakeGitea,
  type FakeGiteaOptions,
  startFakeGitea,
} from './server.js'
export { type ArchiveEntry, type ArchiveListing, listArchive } from './tar.js'
export {
  buildWebhookRequest,
  GITEA_WEBHOOK_USER_AGENT,
  hmacHex,
  payloadContent,
  sendWebhook,
  type WebhookDelivery,
  type WebhookOptions,
} from './webhook.js'
