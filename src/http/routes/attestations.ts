// GET /v1/bundles/{digest}/attestations (docs/attestations.md#the-route): the DSSE envelopes
// whose subject is the bundle, as stored at signing. Same read rules as the bundle: a scoped
// token must be able to read the digest (else 404 as if unknown), and sees only the envelopes of
// its own templates (another template's repository and commit are not its business). Per template
// and key only the newest version's envelope is answered, newest first, so the answer is bounded
// by templates × keys, not by how many versions built the same bundle.
import { Hono } from 'hono'
import type { AppEnv } from '../env.js'
import { inScope } from '../middleware/read-auth.js'
import { attestationQuery, digestParam } from '../openapi/requests.js'
import { attestationList } from '../openapi/responses.js'
import { error, json, NO_CACHE, type RouteSpec, readAuthErrors } from '../openapi/route-spec.js'
import { checkedDigest, checkScope, notFound } from './bundle-response.js'

export const attestationRoutes = new Hono<AppEnv>()

attestationRoutes.get('/:digest/attestations', (c) => {
  const digest = checkedDigest(c.req.param('digest'))
  const deps = c.get('deps')
  const scope = c.get('readScope')
  const template = c.req.query('template') || undefined
  const rows = deps.index.attestations.newestByDigest(digest, template)
  if (rows.length === 0 && deps.index.bundles.get(digest) === null) throw notFound(digest)
  checkScope(deps, scope, digest)
  const envelopes = rows
    .filter((r) => inScope(scope, r.template))
    .map((r) => JSON.parse(r.envelope) as unknown)
  return c.json(envelopes, 200, { 'Cache-Control': 'no-cache' })
})

export const attestationOperations: readonly RouteSpec[] = [
  {
    method: 'get',
    path: '/v1/bundles/{digest}/attestations',
    operationId: 'getBundleAttestations',
    summary: 'The signed attestations of a bundle',
    description:
      'DSSE envelopes of the ready versions that built this bundle: for each template and ' +
      "signing key the newest version's envelope only, newest first; `?template=` keeps that " +
      "template's. A scoped token sees those of its templates only. Empty when nothing is signed.",
    tag: 'bundles',
    security: 'read',
    params: digestParam,
    query: attestationQuery,
    responses: {
      200: json('DSSE envelopes', attestationList, NO_CACHE),
      400: error('malformed digest', 'INVALID_DIGEST'),
      ...readAuthErrors,
      404: error('unknown digest (or not readable with this token)', 'NOT_FOUND'),
    },
  },
]
