// pull = resolve (If-None-Match from DIR/.asset-cache.json) → download → materialize.
import { isDigest } from '../digest.js'
import { download } from './download.js'
import { ClientError } from './errors.js'
import type { RequestOptions } from './http.js'
import { materialize } from './materialize.js'
import { resolve } from './resolve.js'
import { readState } from './state.js'

export interface PullOptions extends Omit<RequestOptions, 'headers'> {
  /** The workspace directory to write into (created when missing). */
  into: string
  /** Called as bundle bytes arrive, with the total when known. */
  onProgress?: ((received: number, total: number | undefined) => void) | undefined
}

export type PullResult =
  | { status: 'unchanged'; digest: string }
  | { status: 'pulled'; digest: string; commit: string | null; files: string[] }

/**
 * Brings `options.into` up to date with `target`: a template name (resolved on `server`, sending
 * `If-None-Match` with the digest DIR already holds) or a digest `sha256:<hex>` (no resolve).
 *
 * @returns `unchanged` when DIR already holds that digest (nothing is written), else `pulled` with
 *   the files written.
 * @throws ClientError, IntegrityError or RejectError; DIR is then exactly as it was.
 */
export async function pull(
  server: string,
  target: string,
  options: PullOptions,
): Promise<PullResult> {
  const { into, onProgress, ...request } = options
  const state = await readState(into)
  let digest: string
  let template: string | null = null
  let commit: string | null = null
  let size: number | undefined
  if (target.startsWith('sha256:')) {
    if (!isDigest(target)) throw new ClientError('INVALID_TARGET', `invalid digest ${target}`)
    digest = target
  } else {
    template = target
    const etag = state?.template === target ? state.digest : undefined
    const resolved = await resolve(server, target, { ...request, etag })
    if (resolved.status === 'unchanged') return { status: 'unchanged', digest: resolved.digest }
    digest = resolved.digest
    commit = resolved.commit
    size = resolved.size
  }
  if (state?.digest === digest) return { status: 'unchanged', digest }
  const { body } = await download(server, digest, { ...request, size, onProgress })
  const result = await materialize(body, into, {
    digest,
    template,
    commit,
    signal: request.signal,
  })
  return { status: 'pulled', digest, commit, files: result.files }
}
