// The attestation route's entry in the route table (docs/attestations.md#the-route).
import { z } from 'zod'
import { digestParam } from './requests.js'
import { error, json, NO_CACHE, type RouteSpec, withHeaders } from './route-spec.js'

export const dsseEnvelope = z.object({
  payload: z.string().describe('base64 of the in-toto Statement v1 (canonical JSON)'),
  payloadType: z.literal('application/vnd.in-toto+json'),
  signatures: z.array(
    z.object({
      keyid: z.string().describe('`sha256:` and the hex SHA-256 of the DER public key'),
      sig: z.string().describe('base64 ed25519 signature over the DSSE PAE'),
    }),
  ),
})
export const attestationList = z.array(dsseEnvelope)

export const ATTESTATION_ROUTES: readonly RouteSpec[] = [
  {
    method: 'get',
    path: '/v1/bundles/{digest}/attestations',
    operationId: 'getBundleAttestations',
    summary: 'The signed attestations of a bundle',
    description:
      'DSSE envelopes, one per ready version that built this bundle and signing key, oldest ' +
      'first; a scoped token sees those of its templates only. Empty when nothing is signed.',
    tag: 'bundles',
    security: 'read',
    params: digestParam,
    responses: {
      200: json('DSSE envelopes', attestationList, NO_CACHE),
      400: error('malformed digest', 'INVALID_DIGEST'),
      401: withHeaders(error('missing or invalid read token', 'UNAUTHORIZED'), {
        'WWW-Authenticate': '`Bearer realm="asset-cache"`',
      }),
      404: error('unknown digest (or not readable with this token)', 'NOT_FOUND'),
    },
  },
]
