// The admin API's entries of the route table (api/routes.ts): `/v1/admin/*`, admin token.
import { gcBody, listQuery, pinBody, refreshBody, templateNameParam } from './requests.js'
import {
  adminTemplate,
  adminTemplateDetail,
  adminTemplateList,
  adminVersionList,
  deliveryList,
  forgetAnswer,
  gcReport,
  queueBody,
  refreshAnswer,
  storeBody,
  verifyReport,
} from './responses.js'
import { error, json, NO_STORE, type RouteSpec, withHeaders } from './route-spec.js'

const adminAuthErrors = {
  401: withHeaders(error('missing or invalid admin token', 'UNAUTHORIZED'), {
    'WWW-Authenticate': '`Bearer realm="asset-cache admin"`',
  }),
  429: withHeaders(
    error(
      'too many wrong admin tokens from this address (10 a minute): refused, uncompared, until the minute ends',
      'TOO_MANY_ATTEMPTS',
    ),
    { 'Retry-After': 'seconds until the address may try again' },
  ),
  503: error('no ASSET_CACHE_ADMIN_TOKEN is configured: admin is never open', 'ADMIN_DISABLED'),
}

const bodyErrors = error(
  'the body is not JSON, or fails the schema (unknown fields are refused)',
  'MALFORMED_JSON',
  'INVALID_PAYLOAD',
)

const queryErrors = error('the query fails the schema', 'INVALID_PAYLOAD')

export const ADMIN_ROUTES: readonly RouteSpec[] = [
  {
    method: 'get',
    path: '/v1/admin/templates',
    operationId: 'adminListTemplates',
    summary: 'Every template with health, served version, pin, last error and active job',
    tag: 'admin',
    security: 'admin',
    responses: {
      200: json('templates and store usage', adminTemplateList, NO_STORE),
      ...adminAuthErrors,
    },
  },
  {
    method: 'get',
    path: '/v1/admin/templates/{name}',
    operationId: 'adminGetTemplate',
    summary: 'One template: versions with provenance, served files, jobs, deliveries',
    tag: 'admin',
    security: 'admin',
    params: templateNameParam,
    query: listQuery,
    responses: {
      200: json('the template in detail', adminTemplateDetail, NO_STORE),
      400: queryErrors,
      ...adminAuthErrors,
      404: error('no such template', 'UNKNOWN_TEMPLATE'),
    },
  },
  {
    method: 'delete',
    path: '/v1/admin/templates/{name}',
    operationId: 'adminForgetTemplate',
    summary: 'Forget an untracked template',
    description:
      'Deletes a template the manifest does not track (ingested by hand, or removed from the ' +
      'manifest) with its versions and jobs. Bundles no other version keeps become candidates ' +
      'for GC. A tracked template is refused: the manifest decides those.',
    tag: 'admin',
    security: 'admin',
    params: templateNameParam,
    responses: {
      200: json('forgotten', forgetAnswer, NO_STORE),
      ...adminAuthErrors,
      404: error('no such template', 'UNKNOWN_TEMPLATE'),
      409: error(
        'tracked by the manifest, or a refresh of it is running',
        'TEMPLATE_TRACKED',
        'TEMPLATE_BUSY',
      ),
    },
  },
  {
    method: 'get',
    path: '/v1/admin/templates/{name}/versions',
    operationId: 'adminListTemplateVersions',
    summary: 'Version history with provenance',
    tag: 'admin',
    security: 'admin',
    params: templateNameParam,
    query: listQuery,
    responses: {
      200: json('versions, newest first', adminVersionList, NO_STORE),
      400: queryErrors,
      ...adminAuthErrors,
      404: error('no such template', 'UNKNOWN_TEMPLATE'),
    },
  },
  {
    method: 'post',
    path: '/v1/admin/templates/{name}/refresh',
    operationId: 'adminRefreshTemplate',
    summary: 'Queue a refresh now',
    description: 'An empty body counts as `{}`.',
    tag: 'admin',
    security: 'admin',
    params: templateNameParam,
    body: { schema: refreshBody, required: false },
    responses: {
      202: json('queued (or already queued: `created: false`)', refreshAnswer, NO_STORE),
      400: bodyErrors,
      ...adminAuthErrors,
      404: error('no such template', 'UNKNOWN_TEMPLATE'),
      409: error('the template has no repository to fetch from', 'NOT_REFRESHABLE'),
    },
  },
  {
    method: 'put',
    path: '/v1/admin/templates/{name}/pin',
    operationId: 'adminPinTemplate',
    summary: 'Pin a template to a digest',
    description: 'Provisioners resolve to that digest whatever Gitea does, until unpinned.',
    tag: 'admin',
    security: 'admin',
    params: templateNameParam,
    body: { schema: pinBody, required: true },
    responses: {
      200: json('the template, now pinned', adminTemplate, NO_STORE),
      400: error(
        'not JSON, failing the schema, or a malformed digest',
        'MALFORMED_JSON',
        'INVALID_PAYLOAD',
        'INVALID_DIGEST',
      ),
      ...adminAuthErrors,
      404: error('no such template', 'UNKNOWN_TEMPLATE'),
      409: error(
        'not a ready version of this template, or its bundle was removed by GC',
        'NOT_A_READY_VERSION',
        'BUNDLE_EVICTED',
      ),
    },
  },
  {
    method: 'delete',
    path: '/v1/admin/templates/{name}/pin',
    operationId: 'adminUnpinTemplate',
    summary: 'Unpin a template: it serves its current version again',
    tag: 'admin',
    security: 'admin',
    params: templateNameParam,
    responses: {
      200: json('the template, unpinned', adminTemplate, NO_STORE),
      ...adminAuthErrors,
      404: error('no such template', 'UNKNOWN_TEMPLATE'),
    },
  },
  {
    method: 'get',
    path: '/v1/admin/jobs',
    operationId: 'adminListJobs',
    summary: 'The job queue',
    tag: 'admin',
    security: 'admin',
    query: listQuery,
    responses: {
      200: json('queue depth and jobs by state', queueBody, NO_STORE),
      400: queryErrors,
      ...adminAuthErrors,
    },
  },
  {
    method: 'get',
    path: '/v1/admin/deliveries',
    operationId: 'adminListDeliveries',
    summary: 'Recent webhook deliveries',
    tag: 'admin',
    security: 'admin',
    query: listQuery,
    responses: {
      200: json('deliveries, newest first', deliveryList, NO_STORE),
      400: queryErrors,
      ...adminAuthErrors,
    },
  },
  {
    method: 'get',
    path: '/v1/admin/store',
    operationId: 'adminGetStore',
    summary: 'Store usage against the byte budget',
    tag: 'admin',
    security: 'admin',
    responses: { 200: json('store usage', storeBody, NO_STORE), ...adminAuthErrors },
  },
  {
    method: 'post',
    path: '/v1/admin/verify',
    operationId: 'adminVerifyStore',
    summary: 'Re-hash every blob; quarantine corrupt ones and queue their templates',
    tag: 'admin',
    security: 'admin',
    responses: { 200: json('the verify report', verifyReport, NO_STORE), ...adminAuthErrors },
  },
  {
    method: 'post',
    path: '/v1/admin/gc',
    operationId: 'adminCollectGarbage',
    summary: 'Evict least recently served bundles down to a byte budget',
    description:
      'Never removes a current or pinned bundle, or one of the newest ASSET_CACHE_KEEP_VERSIONS ' +
      'ready versions of a template. An empty body counts as `{}`.',
    tag: 'admin',
    security: 'admin',
    body: { schema: gcBody, required: false },
    responses: {
      200: json('the GC report', gcReport, NO_STORE),
      400: bodyErrors,
      ...adminAuthErrors,
    },
  },
]
