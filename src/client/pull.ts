// pull = resolve (If-None-Match from DIR/.asset-cache.json) → download → materialize. A repair
// fetches the bundle DIR records even when the template did not change, to restore its files.
import type { TrustedKey } from '../attest/keys.js'
import { isDigest } from '../digest.js'
import { verifiedOnServer } from './attestations.js'
import { DEFAULT_PULL_TIMEOUT_MS, withDeadline } from './deadline.js'
import { download } from './download.js'
import { ClientError } from './errors.js'
import type { RequestOptions } from './http.js'
import { materialize } from './materialize.js'
import { resolve } from './resolve.js'
import { readState } from './state.js'

export { DEFAULT_PULL_TIMEOUT_MS } from './deadline.js'

export interface PullOptions extends Omit<RequestOptions, 'headers'> {
  /** The workspace directory to write into (created when missing). */
  into: string
  /** Called as bundle bytes arrive, with the total when known. */
  onProgress?: ((received: number, total: number | undefined) => void) | undefined
  /**
   * The whole pull, from the call until DIR is written (default 5 minutes): past it, every request
   * is aborted and the pull fails with `PULL_TIMEOUT`, however the server trickles its bytes.
   */
  timeoutMs?: number | undefined
  /**
   * Re-hash the files pull wrote and restore any changed or deleted since, even when the template
   * did not change (the bundle DIR records is downloaded again, by its digest).
   */
  repair?: boolean | undefined
  /**
   * Public keys (loadTrustedKey) whose attestations are trusted. When non-empty, a bundle is
   * written only when the server has an attestation of its digest, signed by one of them, that
   * names the template asked for (any template for a pull by digest); otherwise the pull fails
   * with an `ATTESTATION_*` AppError before anything is written.
   */
  trust?: readonly TrustedKey[] | undefined
}

export interface PullWritten {
  digest: string
  commit: string | null
  /** Every file of the bundle. */
  files: string[]
  /** Files renamed into place: new or changed in the bundle, or changed or deleted locally. */
  written: string[]
  /** Files the previous version wrote that this one lacks, removed. */
  removed: string[]
  /** Files the previous version wrote that this one lacks, left alone: changed locally. */
  kept: string[]
}

export type PullResult =
  | { status: 'unchanged'; digest: string }
  | ({ status: 'pulled' | 'repaired' } & PullWritten)

/**
 * Brings `options.into` up to date with `target`: a template name (resolved on `server`, sending
 * `If-None-Match` with the digest DIR already holds) or a digest `sha256:<hex>` (no resolve).
 *
 * @returns `unchanged` when DIR already holds that digest (nothing is written); `repaired` when
 *   `repair` re-checked DIR against the digest it already held (`written` lists what it
 *   restored); else `pulled` with the files written and removed.
 * @throws ClientError, IntegrityError, RejectError, or AppError `ATTESTATION_*` (with `trust`);
 *   DIR is then exactly as it was. Past
 *   `timeoutMs`, ClientError `PULL_TIMEOUT`; when the caller's `signal` aborts, its reason.
 */
export async function pull(
  server: string,
  target: string,
  options: PullOptions,
): Promise<PullResult> {
  const { timeoutMs = DEFAULT_PULL_TIMEOUT_MS, signal, ...rest } = options
  return withDeadline(timeoutMs, signal, (within) =>
    pullWithin(server, target, { ...rest, signal: within }),
  )
}

async function pullWithin(
  server: string,
  target: string,
  options: Omit<PullOptions, 'timeoutMs'>,
): Promise<PullResult> {
  const { into, onProgress, repair = false, trust = [], ...request } = options
  const state = await readState(into)
  // With trusted keys, DIR's bundle is vouched for too: it may have been pulled without them.
  const unchanged = async (digest: string): Promise<PullResult> => {
    if (trust.length > 0) await verifiedOnServer(server, digest, template, trust, request)
    return { status: 'unchanged', digest }
  }
  let digest: string
  let template: string | null = null
  let commit: string | null = null
  let size: number | undefined
  if (target.startsWith('sha256:')) {
    if (!isDigest(target)) throw new ClientError('INVALID_TARGET', `invalid digest ${target}`)
    digest = target
    commit = state?.digest === digest ? state.commit : null
  } else {
    template = target
    const etag = state?.template === target ? state.digest : undefined
    const resolved = await resolve(server, target, { ...request, etag })
    if (resolved.status === 'unchanged') {
      if (!repair) return unchanged(resolved.digest)
      // 304: the server still serves what DIR records; fetch that bundle by its digest.
      digest = resolved.digest
      commit = state?.commit ?? null
    } else {
      digest = resolved.digest
      commit = resolved.commit
      size = resolved.size
    }
  }
  const same = state?.digest === digest
  if (same && !repair) return unchanged(digest)
  if (trust.length > 0) await verifiedOnServer(server, digest, template, trust, request)
  const { body } = await download(server, digest, { ...request, size, onProgress })
  const result = await materialize(body, into, {
    digest,
    template,
    commit,
    signal: request.signal,
  })
  const { files, written, removed, kept } = result
  return { status: same ? 'repaired' : 'pulled', digest, commit, files, written, removed, kept }
}
