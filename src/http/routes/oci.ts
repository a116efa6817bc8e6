// /v2: every ready template version as an OCI image (OCI Distribution Spec v1.1, pull category):
// the API version check, manifests by tag or digest, blobs, the tags list and referrers, with the
// read tokens as Basic or Bearer credentials. docs/oci.md documents names, tags and choices.
//
// Paths are parsed from the raw request target, from the end (a repository name has slashes);
// the name and reference grammars are allowlists. Unknown, removed and out-of-scope templates
// all answer NAME_UNKNOWN alike. Pushing is not offered: any other method answers 405 UNSUPPORTED.
import { type Context, Hono } from 'hono'
import { canonicalBytes } from '../../oci/canonical-json.js'
import {
  digestInvalid,
  manifestUnknown,
  nameInvalid,
  nameUnknown,
  OciError,
} from '../../oci/errors.js'
import { MEDIA_TYPES } from '../../oci/image.js'
import {
  isValidName,
  parseDigestRef,
  parseReference,
  parseRoute,
  type Route,
  templateOf,
} from '../../oci/naming.js'
import { manifestChoice, tagsPage } from '../../oci/negotiate.js'
import { referrersIndex } from '../../oci/referrers.js'
import type { RepositoryView } from '../../oci/repository-views.js'
import type { AppEnv } from '../env.js'
import { inScope } from '../middleware/read-auth.js'
import { authorize, bytesResponse, ociAnswer } from './oci-answers.js'
import { blobResponse } from './oci-blobs.js'
import { ociTokenResponse } from './oci-token.js'

export const ociRoutes = new Hono<AppEnv>()

const IMMUTABLE = 'public, max-age=31536000, immutable'

/** The request target's path exactly as sent (never percent-decoded). */
function rawPath(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2)
  if (start === -1) return '/'
  const end = url.search(/[?#]/)
  return end === -1 || end < start ? url.slice(start) : url.slice(start, end)
}

function base(c: Context<AppEnv>): Response {
  authorize(c, null)
  return bytesResponse(c, Buffer.from('{}'), {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-store',
  })
}

/** The repository a route names, for a caller with `scope`, or NAME_INVALID / NAME_UNKNOWN. */
function repository(c: Context<AppEnv>, route: Route, scope: string[] | null): RepositoryView {
  const template = templateOf(route.name)
  const view =
    template !== null && inScope(scope, template)
      ? c.get('deps').state.ociViews.get(template)
      : null
  if (!view) throw nameUnknown(route.name)
  return view
}

function manifestResponse(c: Context<AppEnv>, view: RepositoryView, reference: string): Response {
  const ref = parseReference(reference)
  if (ref.kind === 'invalid-digest') throw digestInvalid(reference)
  if (ref.kind === 'tag') {
    const image = view.tags.get(ref.tag)
    if (!image) throw manifestUnknown(view.repository, ref.tag)
    const doc =
      manifestChoice(c.req.header('accept')) === 'index'
        ? image.index
        : image.manifests[0]!.manifest
    return bytesResponse(c, doc.bytes, {
      'Content-Type': doc.mediaType,
      'Docker-Content-Digest': doc.digest,
      ETag: `"${doc.digest}"`,
      'Cache-Control': 'no-cache',
      Vary: 'Accept',
    })
  }
  const doc = ref.kind === 'digest' ? view.manifests.get(ref.digest) : undefined
  if (!doc) throw manifestUnknown(view.repository, reference)
  return bytesResponse(c, doc.bytes, {
    'Content-Type': doc.mediaType,
    'Docker-Content-Digest': doc.digest,
    ETag: `"${doc.digest}"`,
    'Cache-Control': IMMUTABLE,
  })
}

function tagsResponse(c: Context<AppEnv>, view: RepositoryView, name: string): Response {
  const page = tagsPage([...view.tags.keys()], c.req.query('n'), c.req.query('last'))
  if ('error' in page) throw new OciError(400, 'PAGINATION_NUMBER_INVALID', page.error)
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache',
  }
  if (page.next) {
    const query = new URLSearchParams({ n: String(page.next.n), last: page.next.last })
    headers.Link = `</v2/${name}/tags/list?${query}>; rel="next"`
  }
  return bytesResponse(c, canonicalBytes({ name, tags: page.tags }), headers)
}

/**
 * Referrers of a manifest in this repository: the attestation artifacts whose subject it is
 * (docs/oci.md#attestations), an empty index for any other digest.
 */
function referrersResponse(c: Context<AppEnv>, view: RepositoryView, reference: string): Response {
  const ref = parseDigestRef(reference)
  if (ref.kind === 'invalid-digest' || ref.kind === 'invalid') throw digestInvalid(reference)
  const headers: Record<string, string> = {
    'Content-Type': MEDIA_TYPES.index,
    'Cache-Control': 'no-cache',
  }
  const artifactType = c.req.query('artifactType')
  if (artifactType !== undefined) headers['OCI-Filters-Applied'] = 'artifactType'
  const referrers = ref.kind === 'digest' ? (view.referrers.get(ref.digest) ?? []) : []
  return bytesResponse(c, referrersIndex(referrers, artifactType), headers)
}

async function dispatch(c: Context<AppEnv>): Promise<Response> {
  const path = rawPath(c.req.url)
  if (path === '/v2/' || path === '/v2') return base(c)
  const route = parseRoute(path)
  const named = route !== null && isValidName(route.name) ? route.name : null
  const scope = authorize(c, named)
  if (!route) throw new OciError(404, 'UNSUPPORTED', 'no such route under /v2/')
  if (named === null) throw nameInvalid(route.name)
  const view = repository(c, route, scope)
  switch (route.kind) {
    case 'manifest':
      return manifestResponse(c, view, route.reference)
    case 'blob':
      return blobResponse(c, view, route.digest)
    case 'tags':
      return tagsResponse(c, view, route.name)
    case 'referrers':
      return referrersResponse(c, view, route.digest)
  }
}

ociRoutes.get('/', (c) => ociAnswer(c, () => base(c)))
ociRoutes.get('/token', (c) => ociAnswer(c, () => ociTokenResponse(c)))
// OAuth2 password grants (containerd tries one first) are not offered: a 404 sends clients to GET.
ociRoutes.post('/token', (c) =>
  ociAnswer(c, () => {
    throw new OciError(404, 'UNSUPPORTED', 'token requests are GET with Basic credentials')
  }),
)
ociRoutes.on(['GET', 'HEAD'], '/*', (c) => ociAnswer(c, () => dispatch(c)))
ociRoutes.all('/*', (c) =>
  ociAnswer(c, () => {
    authorize(c, null)
    throw new OciError(405, 'UNSUPPORTED', 'this registry is read-only: pulls only')
  }),
)
