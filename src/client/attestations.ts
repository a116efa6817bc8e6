// The client's side of attestations (docs/attestations.md#verification): fetch the envelopes of a
// digest from the server and accept the bundle only when one of them is signed by a trusted key,
// is about that digest and names the template asked for. Runs before the bundle is downloaded,
// so a refused bundle leaves nothing behind.
import type { TrustedKey } from '../attest/keys.js'
import { type Verified, verifyAttestations } from '../attest/verify.js'
import { ClientError } from './errors.js'
import { discard, endpoint, failOnStatus, get, type RequestOptions, readJson } from './http.js'

/**
 * The JSON `GET /v1/bundles/{digest}/attestations` answers (not yet checked in any way), newest
 * first. With `template`, only that template's envelopes are asked for; when there are none, every
 * template's, so that a refusal can still tell a bundle signed for another template
 * (ATTESTATION_TEMPLATE_MISMATCH) from one signed for none.
 */
export async function fetchAttestations(
  server: string,
  digest: string,
  options: Omit<RequestOptions, 'headers'>,
  template: string | null = null,
): Promise<unknown> {
  if (template !== null) {
    const mine = await fetchList(server, digest, options, template)
    if (!Array.isArray(mine) || mine.length > 0) return mine
  }
  return fetchList(server, digest, options, null)
}

async function fetchList(
  server: string,
  digest: string,
  options: Omit<RequestOptions, 'headers'>,
  template: string | null,
): Promise<unknown> {
  const url = endpoint(server, `/v1/bundles/${digest}/attestations`)
  if (template !== null) url.searchParams.set('template', template)
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
  const envelopes = await fetchAttestations(server, digest, options, template)
  return verifyAttestations(envelopes, { keys, digest, template })
}
