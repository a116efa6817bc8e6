// `GET|HEAD /v2/<name>/blobs/<digest>` of a layer held in the hot bundle cache, answered by the
// node:http listener like `/v1/bundles/{digest}`: the same credentials as the /v2 routes (a read
// token as Basic password or Bearer), the same repository scoping (the digest must be a layer of
// that template's images), the same Range, If-None-Match and verified-on-load bytes, and the blob
// headers of routes/oci-blobs.ts — never a content coding. Anything else (a refused token, a
// name that is not canonical, a config or manifest blob, a miss) is left to the app.
import type { Metrics } from '../../metrics.js'
import { isValidName, templateOf } from '../../oci/naming.js'
import type { AppDeps } from '../env.js'
import { inScope } from '../middleware/read-auth.js'
import { API_VERSION, ociScope } from '../routes/oci-answers.js'
import { type HotAnswer, hotAnswer } from './hot-answer.js'
import type { HotBundle, PrecomputedAnswer } from './hot-cache.js'

export const OCI_PREFIX = '/v2/'
/** The route label the app records for every /v2 request. */
export const OCI_ROUTE = '/v2/*'
const SHA256 = /^sha256:[0-9a-f]{64}$/
const BLOBS = '/blobs/'
/** `/blobs/` + `sha256:` + 64 hex. */
const TAIL = BLOBS.length + 71

/** The repository and digest of a blob path, when both are canonical; otherwise null. */
export function blobTarget(path: string): { name: string; digest: string } | null {
  const at = path.length - TAIL
  if (at <= OCI_PREFIX.length || !path.startsWith(BLOBS, at)) return null
  const digest = path.slice(at + BLOBS.length)
  const name = path.slice(OCI_PREFIX.length, at)
  if (!SHA256.test(digest) || !isValidName(name)) return null
  return { name, digest }
}

/** Whether `authorization` may read layer `digest` of repository `name` (as the app decides). */
export function blobReadable(
  deps: AppDeps,
  name: string,
  digest: string,
  authorization: string | undefined,
): boolean {
  const scope = ociScope(deps.state.readTokens, authorization)
  if (scope === false) return false
  const template = templateOf(name)
  if (template === null || !inScope(scope, template)) return false
  return deps.state.ociViews.kept(template, deps.now())?.layers.has(digest) ?? false
}

/** The blob headers on top of the bundle answer's (routes/oci-blobs.ts). */
export function blobHeaders(digest: string, status: number): Record<string, string> {
  const headers: Record<string, string> = {
    'docker-content-digest': digest,
    'docker-distribution-api-version': API_VERSION,
  }
  if (status !== 304) headers['content-type'] = 'application/octet-stream'
  return headers
}

/** The full and 304 blob answers' headers, as objects and flat lists, kept on the hot entry. */
function precomputed(entry: HotBundle): NonNullable<HotBundle['blob']> {
  if (!entry.blob) {
    const of = (sent: Record<string, string>, status: number): PrecomputedAnswer => {
      const headers = { ...sent, ...blobHeaders(entry.digest, status) }
      return { headers, wire: Object.entries(headers).flat() }
    }
    entry.blob = { full: of(entry.sent.full, 200), notModified: of(entry.sent.notModified, 304) }
  }
  return entry.blob
}

/** The blob answer for a hot entry: the bundle's identity answer with the blob headers. */
export function blobAnswer(
  metrics: Metrics,
  method: string,
  header: (name: string) => string | undefined,
  entry: HotBundle,
): HotAnswer {
  const identity = (name: string) => (name === 'accept-encoding' ? undefined : header(name))
  const answer = hotAnswer(metrics, method, identity, entry)
  const known =
    answer.wire === entry.wire.full
      ? precomputed(entry).full
      : answer.wire === entry.wire.notModified
        ? precomputed(entry).notModified
        : null
  if (known)
    return { status: answer.status, headers: known.headers, wire: known.wire, body: answer.body }
  const headers = { ...answer.headers, ...blobHeaders(entry.digest, answer.status) }
  return { status: answer.status, headers, body: answer.body }
}
