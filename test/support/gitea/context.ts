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
  }
}

export interface ServedRepo {
  repo: GitRepo
  private: boolean
}

/**
 * How archives are served. `stream`: Gitea ≥ 1.25's default (STREAM_ARCHIVES=true), `git archive`
 * straight into the answer. `redirect`: the archive is generated first, saved to object storage
 * and the answer is a redirect to a presigned URL there (`[storage.repo-archive]` on MinIO or
 * Azure with SERVE_DIRECT=true; Gitea's ctx.Redirect default is 303).
 */
export type ArchiveMode =
  | { kind: 'stream' }
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
