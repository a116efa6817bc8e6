// One archive download attempt of the refresh job: request, count and copy the wire bytes, and
// ingest (validate, canonicalize, store). Failures are sorted into Gitea's (retried), the data
// directory's (STORE_WRITE_FAILED, retried) and the content's (a rejected version).
import type { Readable } from 'node:stream'
import { ingest } from '../cache/ingest.js'
import type { JobRow, TemplateRow, VersionSource } from '../db/index.js'
import { AppError } from '../errors.js'
import { archiveFault, transient, WireCounter } from '../gitea/archive.js'
import type { GiteaClient } from '../gitea/client.js'
import { storageFailure } from '../store/storage-failure.js'
import type { RefreshDeps } from './refresh-deps.js'

/** What a version records as its source: the trigger of the job that produced it. */
export const sourceOf = (job: JobRow): VersionSource =>
  job.trigger === 'webhook' ? 'webhook' : job.trigger === 'admin' ? 'admin' : 'reconcile'

export async function downloadAndIngest(
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
        now: deps.now,
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
