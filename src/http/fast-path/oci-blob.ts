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
import { type HotAnswer, hotAnswer } from '../routes/bundles.js'
import { API_VERSION, ociScope } from '../routes/oci-answers.js'
import { repositoryViews } from '../routes/oci-views.js'
import type { HotBundle } from './hot-cache.js'

export const OCI_PREFIX = '/v2/'
/** The route label the app records for every /v2 request. */
export const OCI_ROUTE = '/v2/*'
const BLOB = /^\/v2\/(.+)\/blobs\/(sha256:[0-9a-f]{64})$/

/** The repository and digest of a blob path, when both are canonical; otherwise null. */
export function blobTarget(path: string): { name: string; digest: string } | null {
  const m = BLOB.exec(path)
  if (!m || !isValidName(m[1]!)) return null
  return { name: m[1]!, digest: m[2]! }
}

/** Whether `authorization` may read layer `digest` of repository `name` (as the app decides). */
export function blobReadable(
  deps: AppDeps,
  name: string,
  digest: string,
  authorization: string | undefined,
): boolean {
  const scope = ociScope(deps.config.readTokens, authorization)
  if (scope === false) return false
  const template = templateOf(name)
  if (template === null || !inScope(scope, template)) return false
  return repositoryViews(deps).get(template)?.layers.has(digest) ?? false
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

/** Precomputed flat header lists of the full and 304 blob answers, per hot entry. */
const wires = new WeakMap<HotBundle, { full: string[]; notModified: string[] }>()

function wireOf(entry: HotBundle) {
  let wire = wires.get(entry)
  if (!wire) {
    const flat = (headers: Record<string, string>) => Object.entries(headers).flat()
    wire = {
      full: flat({ ...entry.sent.full, ...blobHeaders(entry.digest, 200) }),
      notModified: flat({ ...entry.sent.notModified, ...blobHeaders(entry.digest, 304) }),
    }
    wires.set(entry, wire)
  }
  return wire
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
  const headers = { ...answer.headers, ...blobHeaders(entry.digest, answer.status) }
  const wire =
    answer.wire === entry.wire.full
      ? wireOf(entry).full
      : answer.wire === entry.wire.notModified
        ? wireOf(entry).notModified
        : undefined
  return { ...answer, headers, ...(wire ? { wire } : { wire: undefined }) }
}
