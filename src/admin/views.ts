// Read models for admins, shared by the admin API and the admin UI: what every template serves,
// since when, from which commit and delivery, and why the last push was rejected.

import {
  type Resolved,
  resolveTemplate,
  type VersionSummary,
  versionSummary,
} from '../cache/resolve.js'
import type { Config } from '../config.js'
import {
  BRANCH_DELETED,
  type BundleFile,
  type DeliveryRow,
  type Index,
  isTracked,
  type JobRow,
  type TemplateRow,
  type VersionRow,
} from '../db/index.js'
import { type LastError, lastErrorOf } from './last-error.js'
import { type PinView, pinView } from './pin-view.js'
import { type PublishView, publishView } from './publish-view.js'
import { type CommitStatusView, commitStatusView } from './status-view.js'

export interface AdminReadDeps {
  config: Config
  index: Index
}

/**
 * Status colour: `ready` serves its branch head; `stale` serves a bundle but the newest version is
 * rejected or failed; `pending` has nothing to serve yet; `failing` has nothing and its last
 * attempt went wrong.
 */
export type TemplateHealth = 'ready' | 'stale' | 'pending' | 'failing'

export interface VersionView extends VersionSummary {
  id: number
  source: VersionRow['source']
  jobId: number | null
  deliveryId: string | null
  compressedBytes: number | null
  unpackedBytes: number | null
  entryCount: number | null
  skippedCount: number | null
  durationMs: number | null
  pinned: boolean
  /** A ready version whose bundle GC has removed (history only). */
  evicted: boolean
  /** Link to the commit in Gitea, when the template has a repository and Gitea is configured. */
  commitUrl: string | null
  /** The last commit status queued for this version's commit and how its post went, or null. */
  commitStatus: CommitStatusView | null
  /** At ASSET_CACHE_OCI_PUBLISH: null when publishing is off or the version is not ready. */
  publish: PublishView | null
}

export interface JobView {
  id: number
  template: string
  state: JobRow['state']
  trigger: JobRow['trigger']
  deliveryId: string | null
  force: boolean
  attempts: number
  nextAttemptAt: number | null
  lastErrorCode: string | null
  lastError: string | null
  createdAt: number
  startedAt: number | null
  finishedAt: number | null
}

export interface TemplateView {
  name: string
  repo: string | null
  ref: string | null
  removed: boolean
  /** Named by the applied manifest; untracked ones never count against readiness. */
  tracked: boolean
  health: TemplateHealth
  /** What provisioners get: the pin when there is one, else the current version. */
  digest: string | null
  commit: string | null
  /**
   * Since when it serves what it serves: for a pinned template, when it was pinned (its bundle
   * may have been ready long before); otherwise when the current version became ready.
   */
  since: number | null
  current: VersionView | null
  pinned: PinView | null
  latest: VersionView | null
  lastError: LastError | null
  /** The tracked branch was deleted in Gitea (a `delete` event) and not pushed since. */
  branchDeleted: { at: number } | null
  job: JobView | null
  repoUrl: string | null
  /** The served version's publish state (see VersionView). */
  publish: PublishView | null
}

export interface TemplateDetail {
  template: TemplateView
  versions: VersionView[]
  /** Files of the served bundle. */
  files: BundleFile[]
  jobs: JobView[]
  deliveries: DeliveryRow[]
}

function giteaBase(config: Config): string | null {
  // origin + path only: credentials in GITEA_BASE_URL never reach a page.
  const url = config.gitea?.baseUrl
  return url ? `${url.origin}${url.pathname}`.replace(/\/+$/, '') : null
}

function repoUrl(config: Config, t: TemplateRow): string | null {
  const base = giteaBase(config)
  return base && t.repo ? `${base}/${t.repo}` : null
}

export function jobView(j: JobRow): JobView {
  return {
    id: j.id,
    template: j.template,
    state: j.state,
    trigger: j.trigger,
    deliveryId: j.deliveryId,
    force: j.force,
    attempts: j.attempts,
    nextAttemptAt: j.state === 'queued' ? j.runAfter : null,
    lastErrorCode: j.lastErrorCode,
    lastError: j.lastError,
    createdAt: j.createdAt,
    startedAt: j.startedAt,
    finishedAt: j.finishedAt,
  }
}

function versionView(
  deps: AdminReadDeps,
  t: TemplateRow,
  v: VersionRow,
  servedId: number | null,
): VersionView {
  const url = repoUrl(deps.config, t)
  return {
    id: v.id,
    ...versionSummary(v, t.currentVersionId),
    source: v.source,
    jobId: v.jobId,
    deliveryId: v.deliveryId,
    compressedBytes: v.compressedBytes,
    unpackedBytes: v.unpackedBytes,
    entryCount: v.entryCount,
    skippedCount: v.skippedCount,
    durationMs: v.durationMs,
    pinned: v.id === servedId && (t.pinnedDigest !== null || t.manifestPin !== null),
    evicted: v.digest !== null && deps.index.bundles.get(v.digest) === null,
    commitUrl: url && v.commit ? `${url}/commit/${v.commit}` : null,
    commitStatus: commitStatusView(deps.index, t, v),
    publish: v.status === 'ready' ? publishView(deps, v.id) : null,
  }
}

export function templateView(
  deps: AdminReadDeps,
  t: TemplateRow,
  served: Resolved = resolveTemplate(deps.index, t),
): TemplateView {
  const { index } = deps
  const servedId = served.version?.id ?? null
  const currentRow = t.currentVersionId === null ? null : index.versions.get(t.currentVersionId)
  const latestRow = index.versions.list(t.name, 1)[0] ?? null
  const jobRow = index.jobs.forTemplate(t.name, 1)[0] ?? null
  const current = currentRow ? versionView(deps, t, currentRow, servedId) : null
  const latest = latestRow ? versionView(deps, t, latestRow, servedId) : null

  const lastError = lastErrorOf(latestRow, jobRow)
  const health: TemplateHealth = served.digest
    ? lastError
      ? 'stale'
      : 'ready'
    : lastError
      ? 'failing'
      : 'pending'
  const activeJob =
    jobRow && (jobRow.state === 'queued' || jobRow.state === 'running') ? jobRow : null
  return {
    name: t.name,
    repo: t.repo,
    ref: t.ref,
    removed: t.removedAt !== null,
    tracked: isTracked(t),
    health,
    digest: served.digest,
    commit: served.version?.commit ?? null,
    since: served.pinnedBy === 'admin' ? t.pinnedAt : (served.version?.readyAt ?? null),
    current,
    pinned: pinView(deps, t, served),
    latest,
    lastError,
    branchDeleted:
      lastError?.code === BRANCH_DELETED && latestRow ? { at: latestRow.createdAt } : null,
    job: activeJob ? jobView(activeJob) : null,
    repoUrl: repoUrl(deps.config, t),
    publish: publishView(deps, servedId),
  }
}

/** Every template, active ones first, by name. */
export function listTemplates(deps: AdminReadDeps): TemplateView[] {
  return deps.index.templates
    .all()
    .sort((a, b) => Number(a.removedAt !== null) - Number(b.removedAt !== null))
    .map((t) => templateView(deps, t))
}

export function templateDetail(
  deps: AdminReadDeps,
  name: string,
  limit = 100,
): TemplateDetail | null {
  const { index } = deps
  const t = index.templates.get(name)
  if (!t) return null
  const served = resolveTemplate(index, t)
  const view = templateView(deps, t, served)
  const servedId = served.version?.id ?? null
  return {
    template: view,
    versions: index.versions.list(name, limit).map((v) => versionView(deps, t, v, servedId)),
    files: view.digest ? index.bundles.files(view.digest) : [],
    jobs: index.jobs.forTemplate(name, 20).map(jobView),
    deliveries: t.repo ? index.deliveries.forRepo(t.repo, 20) : [],
  }
}
