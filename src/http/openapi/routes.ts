// The route table: every operation the app serves, with the zod schemas its handler validates
// with (api/requests.ts) and the schemas of what it answers (api/responses.ts). The OpenAPI
// document (api/openapi.ts) is generated from this table; test/http/openapi.test.ts checks the
// table against the routes the app registers (both ways) and test/http/contract.test.ts parses
// real answers with the schemas declared here.
import {
  digestParam,
  otherPayloadSchema,
  pushPayloadSchema,
  readinessQuery,
  signedUrlQuery,
  templateNameParam,
  urlBody,
} from './requests.js'
import {
  bundleManifest,
  healthBody,
  openApiBody,
  readinessBody,
  signedUrl,
  templateBody,
  templateList,
  versionList,
  webhookAnswer,
} from './responses.js'
import {
  error,
  json,
  NO_CACHE,
  NO_STORE,
  RETRY_AFTER,
  type RouteSpec,
  withHeaders,
} from './route-spec.js'
import { ADMIN_ROUTES } from './routes-admin.js'
import { ATTESTATION_ROUTES } from './routes-attestations.js'

export type { ResponseSpec, RouteMethod, RouteSecurity, RouteSpec } from './route-spec.js'

const readAuthErrors = {
  401: withHeaders(error('missing or invalid read token', 'UNAUTHORIZED'), {
    'WWW-Authenticate': '`Bearer realm="asset-cache"`',
  }),
}

const unknownTemplate = error('no such template (or not in the token scope)', 'UNKNOWN_TEMPLATE')

const notReady = withHeaders(
  error('the template has no ready bundle yet', 'NOT_READY'),
  RETRY_AFTER,
)

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

/** The form Gitea sends when the webhook's content type is `application/x-www-form-urlencoded`. */
const webhookForm = {
  schema: {
    type: 'object',
    properties: {
      payload: {
        type: 'string',
        description: 'the JSON payload; the signature covers this string',
      },
    },
    required: ['payload'],
  },
}

/**
 * The HTML admin UI (`/admin/*`, src/admin-ui) is left out of the document on purpose: it is
 * pages and forms for people, not an API. Any path starting with `/admin` is excluded (the JSON
 * admin API lives under `/v1/admin` and is documented). So is `/v2`, the OCI Distribution API:
 * its contract is that specification (docs/oci.md), not this document.
 */
export const isDocumented = (path: string): boolean =>
  !path.startsWith('/admin') && !path.startsWith('/v2')

export const ROUTES: readonly RouteSpec[] = [
  // --- operations ---
  {
    method: 'get',
    path: '/healthz',
    operationId: 'getHealth',
    summary: 'Liveness: the process answers',
    tag: 'operations',
    security: 'none',
    responses: { 200: json('alive', healthBody) },
  },
  {
    method: 'get',
    path: '/readyz',
    operationId: 'getReadiness',
    summary: 'Readiness: DB and store usable, fetching configured, every template ready',
    tag: 'operations',
    security: 'none',
    query: readinessQuery,
    responses: {
      200: json('ready', readinessBody, NO_STORE),
      400: error('`exclude` names a check that cannot be left out', 'INVALID_PAYLOAD'),
      503: json('not ready; `checks` says which part is not', readinessBody, NO_STORE),
    },
  },
  {
    method: 'get',
    path: '/metrics',
    operationId: 'getMetrics',
    summary: 'Prometheus metrics',
    description:
      'On the main listener unless `ASSET_CACHE_METRICS_PORT` moves it to a listener of its own.',
    tag: 'operations',
    security: 'none',
    responses: {
      200: {
        description: 'the Prometheus text exposition format',
        media: { type: 'text/plain', binary: false },
        headers: NO_STORE,
      },
    },
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApi',
    summary: 'This document',
    tag: 'operations',
    security: 'none',
    responses: { 200: json('the OpenAPI 3.1 document of this API', openApiBody, NO_CACHE) },
  },

  // --- webhook ---
  {
    method: 'post',
    path: '/hooks/gitea',
    operationId: 'receiveGiteaWebhook',
    summary: 'Gitea push webhook',
    description:
      'Raw body at most `ASSET_CACHE_WEBHOOK_MAX_BODY` (default 25 MiB). The event comes from `X-Gitea-Event` (or the Forgejo, Gogs and ' +
      'GitHub equivalents), the delivery id from `X-Gitea-Delivery`. `push` payloads are checked ' +
      'against GiteaPushPayload, other events against GiteaEventPayload. A push to a tracked ' +
      'branch queues a refresh (202); Test Delivery (`before` == `after`) answers `ok`; tags, ' +
      'deletions, other events, untracked repositories or refs and duplicates are `ignored`.',
    tag: 'webhook',
    security: 'webhook',
    body: {
      schema: [pushPayloadSchema, otherPayloadSchema],
      required: true,
      also: { 'application/x-www-form-urlencoded': webhookForm },
    },
    responses: {
      200: json('test delivery (`ok`) or ignored, with the reason', webhookAnswer),
      202: json('a refresh was queued', webhookAnswer),
      400: error(
        'unsupported content type, malformed JSON, a payload failing the schema, no event header',
        'UNSUPPORTED_MEDIA_TYPE',
        'MALFORMED_JSON',
        'INVALID_PAYLOAD',
        'BAD_REQUEST',
      ),
      401: error('missing, empty or wrong signature; nothing recorded', 'UNAUTHORIZED'),
      413: error('body over `ASSET_CACHE_WEBHOOK_MAX_BODY`', 'PAYLOAD_TOO_LARGE'),
      500: error(
        'the index refused the write (recorded `failed` when it can be; a redelivery is handled afresh), or committed it but could not fsync it',
        'INTERNAL',
      ),
      503: error('no webhook secret is configured', 'WEBHOOK_DISABLED'),
    },
  },

  // --- provisioner API ---
  {
    method: 'get',
    path: '/v1/templates',
    operationId: 'listTemplates',
    summary: 'Templates and the digest each resolves to',
    tag: 'templates',
    security: 'read',
    responses: {
      200: json('templates in the token scope', templateList, NO_CACHE),
      ...readAuthErrors,
    },
  },
  {
    method: 'get',
    path: '/v1/templates/{name}',
    operationId: 'getTemplate',
    summary: 'Resolve a template to its current (or pinned) bundle',
    tag: 'templates',
    security: 'read',
    params: templateNameParam,
    responses: {
      200: json('the bundle provisioners should use', templateBody, {
        ETag: '`"<digest>"`',
        ...NO_CACHE,
      }),
      304: { description: '`If-None-Match` matches the digest', headers: { ETag: '`"<digest>"`' } },
      ...readAuthErrors,
      404: unknownTemplate,
      503: notReady,
    },
  },
  {
    method: 'get',
    path: '/v1/templates/{name}/bundle',
    operationId: 'redirectTemplateBundle',
    summary: 'Redirect to the current bundle',
    tag: 'templates',
    security: 'read',
    params: templateNameParam,
    responses: {
      307: {
        description: 'to the current bundle',
        headers: { Location: '`/v1/bundles/{digest}`', ...NO_CACHE },
      },
      ...readAuthErrors,
      404: unknownTemplate,
      503: notReady,
    },
  },
  {
    method: 'get',
    path: '/v1/templates/{name}/versions',
    operationId: 'listTemplateVersions',
    summary: 'Version history, newest first, rejected ones with their reason',
    tag: 'templates',
    security: 'read',
    params: templateNameParam,
    responses: {
      200: json('versions, newest first', versionList, NO_CACHE),
      ...readAuthErrors,
      404: unknownTemplate,
    },
  },
  bundleRoute('get'),
  bundleRoute('head'),
  {
    method: 'post',
    path: '/v1/urls',
    operationId: 'mintSignedUrl',
    summary: 'Mint a short-lived signed URL for one bundle',
    description:
      'The URL reads the bundle with no Authorization header until `expires`. A read token ' +
      'mints within its scope (a template it sees, or a digest it may read); the admin token ' +
      'mints for any bundle.',
    tag: 'bundles',
    security: 'read',
    body: { schema: urlBody, required: true },
    responses: {
      200: json('the signed URL', signedUrl, { 'Cache-Control': '`no-store`' }),
      400: error('not JSON, or failing the schema', 'MALFORMED_JSON', 'INVALID_PAYLOAD'),
      ...readAuthErrors,
      404: error(
        'unknown template or bundle, or not one this token may read',
        'UNKNOWN_TEMPLATE',
        'NOT_FOUND',
      ),
      503: error(
        'signed URLs are off, or the template has nothing ready (with `Retry-After`)',
        'URLS_DISABLED',
        'NOT_READY',
      ),
    },
  },
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

  ...ATTESTATION_ROUTES,
  ...ADMIN_ROUTES,
]
