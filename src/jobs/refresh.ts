import { commitPin } from '../cache/resolve.js'
import type { JobRow } from '../db/index.js'
import { capReasonEntry } from '../db/versions.js'
import { AppError, codeOf } from '../errors.js'
import { GiteaError } from '../gitea/client.js'
import type { JobOutcome, JobPhase } from '../metrics.js'
import { downloadAndIngest, sourceOf } from './download.js'
import { checkingHead, Superseded } from './head-check.js'
import type { RefreshDeps } from './refresh-deps.js'

export type RefreshOutcome =
  | { result: 'current'; commit: string; digest: string }
  | { result: 'ready'; commit: string; digest: string; reused: boolean }
  | { result: 'rejected'; commit: string; code: string; entry: string | null }
  | { result: 'skipped'; reason: string }
  /** The download failed and, before another attempt, the branch had moved on (or was gone). */
  | { result: 'superseded'; commit: string; head: string | null; code: string }

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
  const { now } = deps

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
    } catch (err) {
      // A branch whose `delete` event arrived: nothing to fetch, and nothing failed.
      const deleted = deps.index.branches.deleted(template.name)
      if (deleted && err instanceof GiteaError && err.code === 'GITEA_NOT_FOUND')
        return finished({ result: 'skipped', reason: 'branch deleted' })
      throw err
    } finally {
      phase('head', performance.now() - headStarted)
    }
    // The branch exists (again): a recorded deletion no longer holds.
    if (!pinned && deps.index.branches.clear(template.name))
      log.info({ commit: head }, 'branch seen again')
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
    /** The head's version row for a download that failed (superseded, or out of retries). */
    const recordFailed = (code: string, detail: string) =>
      deps.index.versions.record(
        {
          template: template.name,
          commit: head,
          status: 'failed',
          reasonCode: code,
          reasonDetail: detail,
          source: sourceOf(job),
          jobId: job.id,
          deliveryId: job.deliveryId,
          durationMs: now() - started,
        },
        now(),
      )
    deps.onVerdict?.(template, head, { kind: 'started' })
    try {
      const attempt = (n: number) =>
        downloadAndIngest(deps, gitea, template, head, job, n, signal, phase)
      // A pinned commit is fetched whatever the branch does: no head check before a retry.
      const result = await gitea.withRetries(
        pinned ? attempt : checkingHead(gitea, template.repo, template.ref, head, attempt, signal),
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
      if (err instanceof Superseded && !signal.aborted) {
        deps.onVerdict?.(template, head, { kind: 'failed', code: err.failure.code })
        recordFailed(err.failure.code, err.message)
        return finished({
          result: 'superseded',
          commit: head,
          head: err.head,
          code: err.failure.code,
        })
      }
      const total = performance.now() - runStarted
      deps.metrics?.jobPhaseSeconds.observe({ phase: 'total' }, total / 1000)
      log.warn(
        {
          commit: head,
          code: codeOf(err),
          ...phaseFields(phases, total),
        },
        'refresh failed',
      )
      if (err instanceof GiteaError && !signal.aborted) {
        // The download failed after its retries: record it; the next reconcile tries again.
        recordFailed(err.code, err.message)
      }
      // Our own failure (a full disk, a bug) ends this run too: the author sees an error, not a
      // pending status forever; the job's next run posts pending again. A shutdown says nothing.
      if (!signal.aborted) {
        deps.onVerdict?.(template, head, {
          kind: 'failed',
          code: codeOf(err),
        })
      }
      throw err
    }
  }
}
