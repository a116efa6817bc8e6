// GET|HEAD /v1/bundles/{digest}[/manifest] (docs/api.md#provisioner-api): the canonical tar by
// digest (answered by bundle-response.ts, shared with the OCI blob route) and its file list; their
// OpenAPI operations below the handlers.
import { Hono } from 'hono'
import { SIGNED_CACHE_CONTROL } from '../../signed-url.js'
import type { AppEnv } from '../env.js'
import { ApiError } from '../errors.js'
import { digestParam, signedUrlQuery } from '../openapi/requests.js'
import { bundleManifest } from '../openapi/responses.js'
import {
  error,
  json,
  RETRY_AFTER,
  type RouteSpec,
  readAuthErrors,
  withHeaders,
} from '../openapi/route-spec.js'
import { bundleResponse, checkedDigest, checkScope, notFound } from './bundle-response.js'
import { fillForRequest } from './peer-fill.js'

export const bundleRoutes = new Hono<AppEnv>()

bundleRoutes.on(['GET', 'HEAD'], '/:digest', async (c) => {
  // c.get, not c.var: c.var copies every variable into a fresh object on each access.
  const digest = checkedDigest(c.req.param('digest'))
  const cacheControl = c.get('signedUrl') ? SIGNED_CACHE_CONTROL : undefined
  const deps = c.get('deps')
  try {
    return await bundleResponse(
      deps,
      c.get('metrics'),
      c.req.raw,
      digest,
      c.get('readScope'),
      cacheControl,
    )
  } catch (err) {
    // Not here, or not for this credential here: a peer that serves it to the same credential.
    if (!(err instanceof ApiError && err.status === 404)) throw err
    if ((await fillForRequest(c, digest))?.kind !== 'bundle') throw err
    return bundleResponse(deps, c.get('metrics'), c.req.raw, digest, null, cacheControl)
  }
})

bundleRoutes.get('/:digest/manifest', (c) => {
  const digest = checkedDigest(c.req.param('digest'))
  const deps = c.get('deps')
  if (!deps.index.bundles.get(digest)) throw notFound(digest)
  checkScope(deps, c.get('readScope'), digest)
  return c.json(deps.index.bundles.files(digest), 200, {
    ETag: `"${digest}"`,
    'Cache-Control': 'public, max-age=31536000, immutable',
  })
})

const invalidDigest = error('malformed digest', 'INVALID_DIGEST')

const BUNDLE_HEADERS = {
  ETag: '`"<digest>"`',
  'Cache-Control': '`public, max-age=31536000, immutable`',
  'Repr-Digest': '`sha-256=:<base64>:` of the representation sent (absent when gzipped on the fly)',
  'Accept-Ranges': '`bytes`',
  'Content-Length': 'bytes of the body',
}

const tar = { type: 'application/x-tar', binary: true }

/** GET and HEAD of a bundle answer alike; HEAD answers carry no body. */
function bundleRoute(method: 'get' | 'head'): RouteSpec {
  return {
    method,
    path: '/v1/bundles/{digest}',
    operationId: method === 'get' ? 'getBundle' : 'headBundle',
    summary:
      method === 'get'
        ? 'Download a canonical bundle by digest'
        : 'Bundle headers without the body',
    description:
      'The canonical POSIX tar. `If-None-Match` matching the digest answers 304 (it wins over ' +
      '`Range`); one range answers 206, several or a malformed one 200 with the whole body; ' +
      '`Accept-Encoding: gzip` compresses full bodies (`Vary: Accept-Encoding`). Bytes are ' +
      're-verified on the way out: a corrupt blob is never served.',
    tag: 'bundles',
    security: 'read',
    params: digestParam,
    query: signedUrlQuery,
    responses: {
      200: { description: 'the whole bundle', media: tar, headers: BUNDLE_HEADERS },
      206: {
        description: 'one byte range of the bundle',
        media: tar,
        headers: { ...BUNDLE_HEADERS, 'Content-Range': '`bytes <first>-<last>/<size>`' },
      },
      304: { description: 'the client already has this digest', headers: { ETag: '`"<digest>"`' } },
      400: invalidDigest,
      ...readAuthErrors,
      403: error(
        'a signed URL that expired, or is malformed or altered',
        'URL_EXPIRED',
        'URL_SIGNATURE_INVALID',
      ),
      404: error('unknown digest (or not readable with this token)', 'NOT_FOUND'),
      416: {
        description: 'the range lies past the end',
        headers: { 'Content-Range': '`bytes */<size>`' },
      },
      500: withHeaders(
        error('the blob failed verification: withdrawn, refresh queued', 'BUNDLE_CORRUPT'),
        RETRY_AFTER,
      ),
    },
  }
}

export const bundleOperations: readonly RouteSpec[] = [
  bundleRoute('get'),
  bundleRoute('head'),
  {
    method: 'get',
    path: '/v1/bundles/{digest}/manifest',
    operationId: 'getBundleManifest',
    summary: 'The files of a bundle',
    tag: 'bundles',
    security: 'read',
    params: digestParam,
    responses: {
      200: json('files in path order', bundleManifest, {
        ETag: '`"<digest>"`',
        'Cache-Control': '`public, max-age=31536000, immutable`',
      }),
      400: invalidDigest,
      ...readAuthErrors,
      404: error('unknown digest (or not readable with this token)', 'NOT_FOUND'),
    },
  },
]
