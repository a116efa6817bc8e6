// Ingest: archive stream + template (+ expected commit) → a ready version with a stored
// canonical bundle, or a rejected version with its reason. The current pointer moves only on ready.
import type { Readable } from 'node:stream'
import type { Attester } from '../attest/sign.js'
import { type BundleLimits, type CanonicalBundle, canonicalize } from '../bundle/index.js'
import type { Index, TemplateRow, VersionSource } from '../db/index.js'
import { isRejectError, type RejectCode, type RejectError } from '../errors.js'
import { isObjectId } from '../gitea/object-id.js'
import type { ContentStore } from '../store/index.js'

export interface IngestDeps {
  index: Index
  store: ContentStore
  /** Where the validator may spool kept files (same filesystem as the store is best). */
  spoolDir: string
  limits?: Partial<BundleLimits>
  /** GITEA_ARCHIVE_PREFIX: archives carry a top-level directory (default true). */
  archivePrefix?: boolean
  now: () => number
  /** Signs each version that becomes ready (ASSET_CACHE_SIGNING_KEY); never fails the ingest. */
  attester?: Attester | null
}

export interface IngestRequest {
  template: TemplateRow
  archive: Readable
  /** When set, the archive's commit id must equal it (COMMIT_MISMATCH otherwise). */
  expectedCommit?: string
  source: VersionSource
  /** Move the template's current pointer to this version when it is ready (default true). */
  makeCurrent?: boolean
  /**
   * Rejections that mean "the download failed" rather than "the content is bad" (e.g. a
   * truncated 200 from Gitea): they are rethrown, not recorded, so the caller can retry.
   */
  transient?: (err: RejectError) => boolean
  /** The job and webhook delivery behind this ingest, recorded on the version. */
  provenance?: { jobId?: number | null; deliveryId?: string | null }
  signal?: AbortSignal
  /**
   * Phase timings (metrics, logs): `validate` is canonicalize() from its first read of the
   * archive to a spooled bundle or a rejection; `store` is the blob put plus the index write.
   */
  onPhase?: (phase: 'validate' | 'store', ms: number) => void
}

export type IngestResult =
  | {
      status: 'ready'
      versionId: number
      template: string
      commit: string | null
      digest: string
      size: number
      fileCount: number
      /** The digest was already stored (a commit that changed nothing we keep). */
      reused: boolean
      madeCurrent: boolean
    }
  | {
      status: 'rejected'
      versionId: number
      template: string
      commit: string | null
      code: RejectCode
      detail: string
      entry: string | undefined
    }

export async function ingest(deps: IngestDeps, req: IngestRequest): Promise<IngestResult> {
  const { now } = deps
  const started = now()
  const template = req.template.name
  const phaseStarted = performance.now()
  let bundle: CanonicalBundle
  try {
    bundle = await canonicalize(req.archive, {
      rules: { allow: req.template.allow, require: req.template.require },
      ...(deps.limits ? { limits: deps.limits } : {}),
      ...(deps.archivePrefix === undefined ? {} : { archivePrefix: deps.archivePrefix }),
      ...(req.expectedCommit ? { expectedCommit: req.expectedCommit } : {}),
      ...(req.signal ? { signal: req.signal } : {}),
      spoolDir: deps.spoolDir,
    })
  } catch (err) {
    req.onPhase?.('validate', performance.now() - phaseStarted)
    if (!isRejectError(err) || req.transient?.(err)) throw err
    const commit = req.expectedCommit ?? null
    const versionId = deps.index.versions.record(
      {
        template,
        commit,
        status: 'rejected',
        reasonCode: err.code,
        reasonDetail: err.message,
        reasonEntry: err.entry ?? null,
        source: req.source,
        jobId: req.provenance?.jobId ?? null,
        deliveryId: req.provenance?.deliveryId ?? null,
        durationMs: now() - started,
      },
      now(),
    )
    return {
      status: 'rejected',
      versionId,
      template,
      commit,
      code: err.code,
      detail: err.message,
      entry: err.entry,
    }
  }

  req.onPhase?.('validate', performance.now() - phaseStarted)
  const storeStarted = performance.now()
  try {
    const put = await deps.store.put(bundle.stream(), { size: bundle.size })
    // Without an expected commit, the archive's own comment is its commit only when it is one.
    const commit = req.expectedCommit ?? (isObjectId(bundle.commit) ? bundle.commit : null)
    const makeCurrent = req.makeCurrent ?? true
    const versionId = deps.index.transaction(() => {
      const at = now()
      deps.index.bundles.insert(put.digest, put.size, bundle.files, at)
      const id = deps.index.versions.record(
        {
          template,
          commit,
          status: 'ready',
          digest: put.digest,
          source: req.source,
          jobId: req.provenance?.jobId ?? null,
          deliveryId: req.provenance?.deliveryId ?? null,
          compressedBytes: bundle.compressedBytes,
          unpackedBytes: bundle.unpackedBytes,
          bundleBytes: put.size,
          entryCount: bundle.entries,
          fileCount: bundle.files.length,
          skippedCount: bundle.skipped,
          durationMs: at - started,
        },
        at,
      )
      if (makeCurrent) deps.index.templates.setCurrent(template, id, at)
      return id
    })
    // GC may have detached these bytes (an old bundle with the same digest) after put() found
    // them and before the row above protected them. Now that nothing will evict them, make sure
    // they are there (see store/evict.ts).
    if (!(await deps.store.has(put.digest))) {
      await deps.store.put(bundle.stream(), { digest: put.digest, size: put.size })
    }
    req.onPhase?.('store', performance.now() - storeStarted)
    deps.attester?.attest(versionId)
    return {
      status: 'ready',
      versionId,
      template,
      commit,
      digest: put.digest,
      size: put.size,
      fileCount: bundle.files.length,
      reused: put.existed,
      madeCurrent: makeCurrent,
    }
  } finally {
    await bundle.dispose()
  }
}
