// The refresh job (DESIGN.md "Refresh job"): branch head decides what is current; an archive is
// downloaded only for a head that has no version yet; its outcome is recorded as a version.
import type { BundleLimits } from '../bundle/index.js'
import type { Index, JobRow, TemplateRow, VersionSource } from '../db/index.js'
import { AppError, isRejectError, type RejectError } from '../errors.js'
import { type GiteaClient, GiteaError, networkError } from '../gitea/client.js'
import { ingest } from '../ingest.js'
import type { Logger } from '../log.js'
import type { ContentStore } from '../store/index.js'

export interface RefreshDeps {
  index: Index
  store: ContentStore
  gitea: GiteaClient | null
  spoolDir: string
  limits?: Partial<BundleLimits>
  logger: Logger
  now?: () => number
  onDownload?: (template: string, commit: string) => void
}

export type RefreshOutcome =
  | { result: 'current'; commit: string; digest: string }
  | { result: 'ready'; commit: string; digest: string; reused: boolean }
  | { result: 'rejected'; commit: string; code: string }
  | { result: 'skipped'; reason: string }

/** Archive faults that mean the download failed, not that the content is bad. */
const transient = (err: RejectError) => err.code === 'TRUNCATED' || err.code === 'TIMEOUT'

/** What a version records as its source: the trigger of the job that produced it. */
const sourceOf = (job: JobRow): VersionSource =>
  job.trigger === 'webhook' ? 'webhook' : job.trigger === 'admin' ? 'admin' : 'reconcile'

/** Errors that another run cannot fix: the job fails at once instead of backing off. */
export function isPermanentRefreshError(err: unknown): boolean {
  return err instanceof GiteaError
    ? !err.retryable
    : err instanceof AppError && err.code === 'FETCH_OFF'
}

export function createRefresher(deps: RefreshDeps) {
  const now = deps.now ?? Date.now

  return async function refresh(job: JobRow, signal: AbortSignal): Promise<RefreshOutcome> {
    const template = deps.index.templates.get(job.template)
    if (!template || template.removedAt !== null || !template.repo || !template.ref) {
      return { result: 'skipped', reason: 'template is not tracked' }
    }
    if (!deps.gitea) throw new AppError('FETCH_OFF', 'fetching is off (no Gitea URL or token)')
    const gitea = deps.gitea
    const log = deps.logger.child({ job: job.id, template: template.name })

    const head = await gitea.branchHead(template.repo, template.ref, signal)
    const existing = deps.index.versions.byCommit(template.name, head)
    if (existing?.status === 'ready' && existing.digest) {
      if (template.currentVersionId !== existing.id)
        deps.index.templates.setCurrent(template.name, existing.id, now())
      return { result: 'current', commit: head, digest: existing.digest }
    }
    if (existing?.status === 'rejected' && !job.force) {
      return { result: 'rejected', commit: head, code: existing.reasonCode ?? 'UNKNOWN' }
    }

    const started = now()
    try {
      const result = await gitea.withRetries(
        (attempt) => downloadAndIngest(deps, gitea, template, head, job, attempt, signal),
        signal,
      )
      log.info(
        {
          commit: head,
          outcome: result.status,
          ms: now() - started,
          ...(result.status === 'ready' ? { digest: result.digest } : { code: result.code }),
        },
        'refresh finished',
      )
      return result.status === 'ready'
        ? { result: 'ready', commit: head, digest: result.digest, reused: result.reused }
        : { result: 'rejected', commit: head, code: result.code }
    } catch (err) {
      if (err instanceof GiteaError && !signal.aborted) {
        // The download failed after its retries: record it; the next reconcile tries again.
        deps.index.versions.record(
          {
            template: template.name,
            commit: head,
            status: 'failed',
            reasonCode: err.code,
            reasonDetail: err.message,
            source: sourceOf(job),
            jobId: job.id,
            deliveryId: job.deliveryId,
            durationMs: now() - started,
          },
          now(),
        )
      }
      throw err
    }
  }
}

async function downloadAndIngest(
  deps: RefreshDeps,
  gitea: GiteaClient,
  template: TemplateRow,
  commit: string,
  job: JobRow,
  attempt: number,
  signal: AbortSignal,
) {
  const body = await gitea.openArchive(template.repo!, commit, attempt, signal)
  deps.onDownload?.(template.name, commit)
  let sourceError: unknown = null
  body.on('error', (err) => {
    sourceError ??= err
  })
  try {
    return await ingest(
      {
        index: deps.index,
        store: deps.store,
        spoolDir: deps.spoolDir,
        ...(deps.limits ? { limits: deps.limits } : {}),
      },
      {
        template,
        archive: body,
        expectedCommit: commit,
        source: sourceOf(job),
        transient,
        signal,
        provenance: { jobId: job.id, deliveryId: job.deliveryId },
      },
    )
  } catch (err) {
    // A socket that died mid-body, or a 200 cut short: a failed download, retried.
    if (sourceError !== null) throw networkError(sourceError)
    if (isRejectError(err) && transient(err)) {
      throw new GiteaError('GITEA_UNAVAILABLE', `archive download: ${err.code}: ${err.message}`, {
        retryable: true,
        cause: err,
      })
    }
    throw err
  } finally {
    if (!body.destroyed) body.destroy()
  }
}
