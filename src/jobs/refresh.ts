// The refresh job (docs/contract.md#refresh-job): branch head decides what is current; an archive
// is downloaded only for a head that has no version yet; its outcome is recorded as a version.
//
// Phases (asset_cache_job_phase_seconds, and the `*Ms` fields of the "job finished" line):
//   head      the branch lookup, its retries included;
//   fetch     per download attempt, from the archive request to the last body byte on the wire
//             (Gitea builds the archive before its first byte: `ttfbMs` is that part);
//   validate  per attempt, canonicalize() from its first read to a spooled bundle or a refusal.
//             The pipeline is streamed, so validate runs alongside fetch and ends just after it;
//             their difference is the parse, validation and spooling that the wire did not hide;
//   store     the blob put (hashing, fsync, rename) and the index transaction;
//   total     the whole run, from the branch lookup to the recorded outcome.
// A download retried sums its attempts in the log line; the histogram observes each attempt.
import type { Readable } from 'node:stream'
import type { Attester } from '../attest/sign.js'
import type { BundleLimits } from '../bundle/index.js'
import { ingest } from '../cache/ingest.js'
import { commitPin } from '../cache/resolve.js'
import type { Index, JobRow, TemplateRow, VersionSource } from '../db/index.js'
import { capReasonEntry } from '../db/versions.js'
import { AppError } from '../errors.js'
import { archiveFault, transient, WireCounter } from '../gitea/archive.js'
import { type GiteaClient, GiteaError } from '../gitea/client.js'
import type { Logger } from '../log.js'
import type { JobOutcome, JobPhase, Metrics } from '../metrics.js'
import type { Verdict } from '../statuses/describe.js'
import type { ContentStore } from '../store/index.js'
import { storageFailure } from '../store/storage-failure.js'

export interface RefreshDeps {
  index: Index
  store: ContentStore
  gitea: GiteaClient | null
  spoolDir: string
  limits?: Partial<BundleLimits>
  /** GITEA_ARCHIVE_PREFIX (default true). */
  archivePrefix?: boolean
  logger: Logger
  now?: () => number
  onDownload?: (template: string, commit: string) => void
  metrics?: Pick<Metrics, 'jobPhaseSeconds' | 'archiveBytesDownloaded'>
  /** Each verdict on a commit, and the start of its fetch (commit statuses). Must not throw. */
  onVerdict?: (template: TemplateRow, commit: string, verdict: Verdict) => void
  /** Signs every version that becomes ready (ASSET_CACHE_SIGNING_KEY). */
  attester?: Attester | null
}

export type RefreshOutcome =
  | { result: 'current'; commit: string; digest: string }
  | { result: 'ready'; commit: string; digest: string; reused: boolean }
  | { result: 'rejected'; commit: string; code: string; entry: string | null }
  | { result: 'skipped'; reason: string }

/** What a version records as its source: the trigger of the job that produced it. */
const sourceOf = (job: JobRow): VersionSource =>
  job.trigger === 'webhook' ? 'webhook' : job.trigger === 'admin' ? 'admin' : 'reconcile'

/** asset_cache_jobs_total's outcome for a settled run (see JobOutcome). */
export function jobOutcome(
  settled: { ok: boolean; outcome?: unknown },
  disposition: 'done' | 'failed' | 'retry',
): JobOutcome {
  if (!settled.ok) return disposition === 'failed' ? 'failed' : 'retry'
  const result = (settled.outcome as RefreshOutcome | undefined)?.result
  return result === 'ready' ? 'ready' : result === 'rejected' ? 'rejected' : 'unchanged'
}

type Phases = Partial<Record<Exclude<JobPhase, 'total'> | 'ttfb', number>>

const rounded = (ms: number | undefined) => (ms === undefined ? undefined : Math.round(ms))

/** The log fields of a run's phases, in whole milliseconds. */
const phaseFields = (phases: Phases, total: number) => ({
  headMs: rounded(phases.head),
  ttfbMs: rounded(phases.ttfb),
  fetchMs: rounded(phases.fetch),
  validateMs: rounded(phases.validate),
  storeMs: rounded(phases.store),
  totalMs: Math.round(total),
})

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
    const log = deps.logger.child({ jobId: job.id, template: job.template })
    if (!template || template.removedAt !== null || !template.repo || !template.ref) {
      log.info({ outcome: 'unchanged', reason: 'template is not tracked' }, 'job finished')
      return { result: 'skipped', reason: 'template is not tracked' }
    }
    if (!deps.gitea) throw new AppError('FETCH_OFF', 'fetching is off (no Gitea URL or token)')
    const gitea = deps.gitea
    const runStarted = performance.now()
    const phases: Phases = {}
    const phase = (name: keyof Phases, ms: number) => {
      phases[name] = (phases[name] ?? 0) + ms
      if (name !== 'ttfb') deps.metrics?.jobPhaseSeconds.observe({ phase: name }, ms / 1000)
    }
    const finished = (outcome: RefreshOutcome) => {
      const total = performance.now() - runStarted
      deps.metrics?.jobPhaseSeconds.observe({ phase: 'total' }, total / 1000)
      const fields = {
        outcome: outcome.result === 'current' ? 'unchanged' : outcome.result,
        ...('commit' in outcome ? { commit: outcome.commit } : {}),
        ...('digest' in outcome ? { digest: outcome.digest } : {}),
        ...('code' in outcome ? { code: outcome.code } : {}),
        ...('entry' in outcome && outcome.entry !== null ? { entry: outcome.entry } : {}),
        ...phaseFields(phases, total),
      }
      if (outcome.result === 'rejected') log.warn(fields, 'job finished')
      else log.info(fields, 'job finished')
      return outcome
    }

    // A manifest commit pin decides what is current instead of the branch head.
    const pinned = commitPin(template)
    const headStarted = performance.now()
    let head: string
    try {
      head = pinned ?? (await gitea.branchHead(template.repo, template.ref, signal))
    } finally {
      phase('head', performance.now() - headStarted)
    }
    const existing = deps.index.versions.byCommit(template.name, head)
    // A ready version whose bundle GC evicted (a rollback to an old commit) or that was
    // quarantined is fetched again, as is any head when the job is forced.
    const stored =
      existing?.status === 'ready' &&
      existing.digest !== null &&
      deps.index.bundles.get(existing.digest) !== null &&
      (await deps.store.has(existing.digest)) !== null
    if (stored && !job.force && existing?.digest) {
      if (template.currentVersionId !== existing.id)
        deps.index.templates.setCurrent(template.name, existing.id, now())
      return finished({ result: 'current', commit: head, digest: existing.digest })
    }
    if (existing?.status === 'rejected' && !job.force) {
      return finished({
        result: 'rejected',
        commit: head,
        code: existing.reasonCode ?? 'UNKNOWN',
        entry: existing.reasonEntry,
      })
    }

    const started = now()
    deps.onVerdict?.(template, head, { kind: 'started' })
    try {
      const result = await gitea.withRetries(
        (attempt) => downloadAndIngest(deps, gitea, template, head, job, attempt, signal, phase),
        signal,
      )
      deps.onVerdict?.(
        template,
        head,
        result.status === 'ready'
          ? { kind: 'ready', digest: result.digest }
          : { kind: 'rejected', code: result.code, entry: result.entry ?? null },
      )
      return finished(
        result.status === 'ready'
          ? { result: 'ready', commit: head, digest: result.digest, reused: result.reused }
          : {
              result: 'rejected',
              commit: head,
              code: result.code,
              entry: result.entry === undefined ? null : capReasonEntry(result.entry),
            },
      )
    } catch (err) {
      const total = performance.now() - runStarted
      deps.metrics?.jobPhaseSeconds.observe({ phase: 'total' }, total / 1000)
      log.warn(
        {
          commit: head,
          code: err instanceof AppError ? err.code : 'INTERNAL',
          ...phaseFields(phases, total),
        },
        'refresh failed',
      )
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
        deps.onVerdict?.(template, head, { kind: 'failed', code: err.code })
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
  phase: (name: 'ttfb' | 'fetch' | 'validate' | 'store', ms: number) => void,
) {
  const fetchStarted = performance.now()
  let fetchEnded = false
  const endFetch = () => {
    if (fetchEnded) return
    fetchEnded = true
    phase('fetch', performance.now() - fetchStarted)
  }
  let body: Readable
  try {
    body = await gitea.openArchive(template.repo!, commit, attempt, signal)
  } catch (err) {
    endFetch()
    throw err
  }
  phase('ttfb', performance.now() - fetchStarted)
  deps.onDownload?.(template.name, commit)
  let sourceError: unknown = null
  body.on('error', (err) => {
    sourceError ??= err
  })
  // pipe(), not pipeline(): the validator destroying the counter must not destroy the body with
  // an error (that would read as a network fault); the body is destroyed below, without one.
  const wire = new WireCounter(endFetch)
  body.on('error', (err) => wire.destroy(err))
  // The validator may have stopped listening by the time the socket fails; the error is
  // already in sourceError, and an unheard 'error' would end the process.
  wire.on('error', () => {})
  body.pipe(wire)
  try {
    const result = await ingest(
      {
        index: deps.index,
        store: deps.store,
        spoolDir: deps.spoolDir,
        ...(deps.limits ? { limits: deps.limits } : {}),
        ...(deps.archivePrefix === undefined ? {} : { archivePrefix: deps.archivePrefix }),
        attester: deps.attester ?? null,
      },
      {
        template,
        archive: wire,
        expectedCommit: commit,
        source: sourceOf(job),
        transient,
        signal,
        provenance: { jobId: job.id, deliveryId: job.deliveryId },
        onPhase: phase,
      },
    )
    if (result.status === 'rejected') {
      if (result.code === 'TOO_LARGE') gitea.noteError('too_large')
      if (result.code === 'COMMIT_MISMATCH') gitea.noteError('wrong_commit')
    }
    return result
  } catch (err) {
    // Our disk, not Gitea: a full or read-only data directory is retried, never counted as a
    // Gitea fault (and never recorded as the content's fault).
    const disk = storageFailure(err) ?? storageFailure(sourceError)
    if (disk) {
      throw new AppError(
        'STORE_WRITE_FAILED',
        `cannot write to the data directory: ${disk}`,
        {},
        {
          cause: err,
        },
      )
    }
    throw archiveFault(gitea, err, sourceError, signal)
  } finally {
    endFetch()
    deps.metrics?.archiveBytesDownloaded.inc(wire.bytes)
    if (!wire.destroyed) wire.destroy()
    if (!body.destroyed) body.destroy()
  }
}
