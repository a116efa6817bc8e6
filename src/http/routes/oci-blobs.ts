// GET|HEAD /v2/<name>/blobs/<digest>: a layer is the stored bundle, answered by the bundle route's
// own path (hot cache, verification on the way out, Range, quarantine of a corrupt blob); configs
// and manifests come from the repository view. Blobs are scoped to their repository: a digest
// that none of the repository's images names is BLOB_UNKNOWN there, whatever else exists.
//
// Always the identity encoding: a blob's bytes are what its digest and size describe, so
// Accept-Encoding is not honoured here (registries do not compress blobs on the way out).
import type { Context } from 'hono'
import { blobUnknown, digestInvalid } from '../../oci/errors.js'
import { parseDigestRef } from '../../oci/naming.js'
import type { RepositoryView } from '../../oci/repository-views.js'
import type { AppEnv } from '../env.js'
import { ApiError } from '../errors.js'
import { blobAnswer, blobHeaders } from '../fast-path/oci-blob.js'
import { bundleResponse } from './bundle-response.js'
import { bytesResponse } from './oci-answers.js'
import { fillForRequest } from './peer-fill.js'

const IMMUTABLE = 'public, max-age=31536000, immutable'

/** The request without Accept-Encoding (only made on a hot-cache miss). */
function identityRequest(req: Request): Request {
  if (!req.headers.has('accept-encoding')) return req
  const headers = new Headers(req.headers)
  headers.delete('accept-encoding')
  return new Request(req.url, { method: req.method, headers })
}

async function layerResponse(c: Context<AppEnv>, view: RepositoryView, digest: string) {
  const deps = c.get('deps')
  const metrics = c.get('metrics')
  const hit = deps.state.serving.cache.get(digest)
  if (hit) {
    metrics.hotCacheHits.inc()
    deps.state.serving.markServed(digest)
    const answer = blobAnswer(metrics, c.req.method, (name) => c.req.header(name), hit)
    return new Response(answer.body, { status: answer.status, headers: answer.headers })
  }
  let res: Response
  try {
    res = await bundleResponse(deps, metrics, identityRequest(c.req.raw), digest, null)
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) throw blobUnknown(view.repository, digest)
    throw err
  }
  const headers = new Headers(res.headers)
  for (const [name, value] of Object.entries(blobHeaders(digest, res.status))) {
    headers.set(name, value)
  }
  return new Response(res.body, { status: res.status, headers })
}

export async function blobResponse(
  c: Context<AppEnv>,
  view: RepositoryView,
  reference: string,
): Promise<Response> {
  const ref = parseDigestRef(reference)
  if (ref.kind === 'invalid-digest' || ref.kind === 'invalid') throw digestInvalid(reference)
  if (ref.kind !== 'digest') throw blobUnknown(view.repository, reference)
  const { digest } = ref
  if (view.layers.has(digest)) return layerResponse(c, view, digest)
  let bytes = (
    view.configs.get(digest) ??
    view.manifests.get(digest) ??
    view.attachments.get(digest)
  )?.bytes
  if (!bytes) {
    // An image this replica has not built yet: a peer's blob, kept only if it hashes to the digest.
    const filled = await fillForRequest(c, digest)
    if (filled?.kind === 'bundle') return layerResponse(c, view, digest)
    if (filled?.kind !== 'bytes') throw blobUnknown(view.repository, digest)
    bytes = filled.body
  }
  return bytesResponse(
    c,
    bytes,
    {
      'Content-Type': 'application/octet-stream',
      'Docker-Content-Digest': digest,
      ETag: `"${digest}"`,
      'Cache-Control': IMMUTABLE,
    },
    true,
  )
}
