// Types shared by the fake Gitea's server and its route handlers.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Fault, FaultKind, RouteKind } from './faults.js'
import type { ObjectStorage } from './object-storage.js'
import type { GitRepo } from './repo.js'

export interface RequestRecord {
  method: string
  path: string
  route: RouteKind | 'other'
  /** `owner/name` as requested, when the path names a repository. */
  repo: string | null
  /** Arrival, ms since the epoch. */
  at: number
  /** Status sent; 0 while unanswered or when the connection was dropped without one. */
  status: number
  /** Body bytes written. */
  bytes: number
  fault: FaultKind | null
  /** True once the response ended or the connection closed. */
  done: boolean
}

export interface FakeGiteaCounters {
  requests: number
  branchLookups: number
  /** GET and HEAD on the archive route. */
  archiveRequests: number
  /** Archive GETs that started a 200 body (`git archive` ran). */
  archiveDownloads: number
  archiveBytes: number
  /** Body bytes of every response. */
  bytesSent: number
  faultsApplied: number
  notFound: number
  /** Archive requests left unanswered (`legacy-unknown-sha` and an unknown commit). */
  archivesHung: number
  /** Archive answers that were 206 to a Range request (`generate`). */
  rangeRequests: number
}

export function emptyCounters(): FakeGiteaCounters {
  return {
    requests: 0,
    branchLookups: 0,
    archiveRequests: 0,
    archiveDownloads: 0,
    archiveBytes: 0,
    bytesSent: 0,
    faultsApplied: 0,
    notFound: 0,
    archivesHung: 0,
    rangeRequests: 0,
  }
}

export interface ServedRepo {
  repo: GitRepo
  private: boolean
}

/**
 * How archives are served (docs/operations.md lists the Gitea and Forgejo versions and settings
 * each one stands for).
 * - `stream`: Gitea ≥ 1.25's default (STREAM_ARCHIVES=true), `git archive` straight into the
 *   answer, chunked, no Content-Length; an unknown full-length commit id is a 500.
 * - `generate`: the archive queue (Gitea ≤ 1.24, Forgejo, 1.25 with STREAM_ARCHIVES=false): the
 *   request is held `waitMs` (default 1.2 s) while the archive is "generating", then served with
 *   Content-Length, Accept-Ranges and Range (206). An unknown commit is a 500 here.
 * - `legacy-unknown-sha`: `generate`, except that a request for an unknown full-length commit id
 *   is never answered (the queued job stays "generating"), as on Gitea ≤ 1.24 and Forgejo.
 * - `redirect`: the archive is generated first, saved to object storage and the answer is a
 *   redirect to a presigned URL there (`[storage.repo-archive]` on MinIO or Azure with
 *   SERVE_DIRECT=true; Gitea's ctx.Redirect default is 303).
 */
export type ArchiveMode =
  | { kind: 'stream' }
  | { kind: 'generate' | 'legacy-unknown-sha'; waitMs?: number }
  | { kind: 'redirect'; storage: ObjectStorage; status: 302 | 303 | 307 }

export interface RouteContext {
  archiveMode: ArchiveMode
  /** `[repository] PREFIX_ARCHIVE_FILES` (default true): `--prefix=<lower-cased name>/`. */
  prefixArchiveFiles: boolean
  req: IncomingMessage
  res: ServerResponse
  served: ServedRepo
  fault: Fault | null
  /** The server's URL, no trailing slash. */
  baseUrl: string
  /** Aborted when the server stops. */
  signal: AbortSignal
  counters: FakeGiteaCounters
  onBytes(count: number): void
}
