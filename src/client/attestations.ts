// The client's side of attestations (docs/attestations.md#verification): fetch the envelopes of a
// digest from the server and accept the bundle only when one of them is signed by a trusted key,
// is about that digest and names the template asked for. Runs before the bundle is downloaded,
// so a refused bundle leaves nothing behind.
import type { TrustedKey } from '../attest/keys.js'
import { type Verified, verifyAttestations } from '../attest/verify.js'
import { ClientError } from './errors.js'
import { discard, endpoint, failOnStatus, get, type RequestOptions, readJson } from './http.js'

/** The JSON `GET /v1/bundles/{digest}/attestations` answers (not yet checked in any way). */
export async function fetchAttestations(
  server: string,
  digest: string,
  options: Omit<RequestOptions, 'headers'>,
): Promise<unknown> {
  const url = endpoint(server, `/v1/bundles/${digest}/attestations`)
  const res = await get(url, { ...options, headers: { accept: 'application/json' } })
  await failOnStatus(res, url, 'BUNDLE_NOT_FOUND')
  if (res.statusCode !== 200) {
    discard(res)
    throw new ClientError('BAD_RESPONSE', `${url.href} answered ${res.statusCode}`)
  }
  return readJson(res, url, options.signal)
}

/**
 * The trusted attestation of `digest` on `server`, for `template` (null: any template).
 *
 * @throws AppError `ATTESTATION_MISSING`, `ATTESTATION_MALFORMED`, `ATTESTATION_UNTRUSTED`,
 *   `ATTESTATION_SUBJECT_MISMATCH` or `ATTESTATION_TEMPLATE_MISMATCH`; ClientError when the
 *   server cannot be asked.
 */
export async function verifiedOnServer(
  server: string,
  digest: string,
  template: string | null,
  keys: readonly TrustedKey[],
  options: Omit<RequestOptions, 'headers'>,
): Promise<Verified> {
  const envelopes = await fetchAttestations(server, digest, options)
  return verifyAttestations(envelopes, { keys, digest, template })
}
