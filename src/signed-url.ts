// Signed bundle URLs (docs/api.md#signed-bundle-urls): `/v1/bundles/{digest}?expires=E&signature=S`
// reads one bundle without an Authorization header until E (unix seconds). S is the unpadded
// base64url HMAC-SHA256, keyed with ASSET_CACHE_URL_KEY, of `asset-cache-url-v1\n{digest}\n{E}`:
// it binds the digest and the expiry, not the method (GET and HEAD read the same bytes).
//
// Parsed by construction: a query that names `expires` or `signature` must be exactly those two
// parameters, once each, with values from their allowlists (decimal digits without a leading
// zero; 43 base64url characters), nothing percent-encoded. The expected signature is compared as
// text in constant time, so no other spelling of the same bytes passes.
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { Secret } from './secret.js'

/** The longest a minted URL may live, and the furthest `expires` a request may carry. */
export const MAX_URL_TTL_SECONDS = 24 * 60 * 60
/** What a signed answer says to caches: browsers may keep it, a shared cache (CDN) may not. */
export const SIGNED_CACHE_CONTROL = 'private, max-age=31536000, immutable'

const EXPIRES = /^[1-9][0-9]{0,10}$/
const SIGNATURE = /^[A-Za-z0-9_-]{43}$/

export type SignedCheck =
  /** No signed parameters: the request is authorized the ordinary way. */
  | { kind: 'none' }
  | { kind: 'valid'; expires: number }
  | { kind: 'refused'; code: 'URL_EXPIRED' | 'URL_SIGNATURE_INVALID'; message: string }

function signature(key: Secret, digest: string, expires: number): string {
  return createHmac('sha256', key.hmacKey())
    .update(`asset-cache-url-v1\n${digest}\n${expires}`)
    .digest('base64url')
}

/** The path and query of a signed URL for `digest`, valid until `expires` (unix seconds). */
export function signedPath(key: Secret, digest: string, expires: number): string {
  return `/v1/bundles/${digest}?expires=${expires}&signature=${signature(key, digest, expires)}`
}

const refused = (code: 'URL_EXPIRED' | 'URL_SIGNATURE_INVALID', message: string): SignedCheck => ({
  kind: 'refused',
  code,
  message,
})

/**
 * What the query string `query` (the text after `?`, or null when there is none) of a read of
 * `digest` grants, at `nowMs`. Without a key signed parameters are not honoured: `none`, and the
 * request needs its ordinary credential. Never throws.
 */
export function checkSigned(
  key: Secret | null,
  digest: string,
  query: string | null,
  nowMs: number,
): SignedCheck {
  if (key === null || query === null) return { kind: 'none' }
  const params = query.split('&')
  const named = params.some((p) => /^(?:expires|signature)(?:=|$)/.test(p))
  if (!named) return { kind: 'none' }
  let expires: string | undefined
  let provided: string | undefined
  for (const param of params) {
    const eq = param.indexOf('=')
    const name = eq === -1 ? param : param.slice(0, eq)
    const value = eq === -1 ? undefined : param.slice(eq + 1)
    if (name === 'expires' && expires === undefined && value !== undefined) expires = value
    else if (name === 'signature' && provided === undefined && value !== undefined) provided = value
    else return refused('URL_SIGNATURE_INVALID', 'a signed URL carries only expires and signature')
  }
  if (expires === undefined || provided === undefined) {
    return refused('URL_SIGNATURE_INVALID', 'a signed URL needs both expires and signature')
  }
  if (!EXPIRES.test(expires) || !SIGNATURE.test(provided)) {
    return refused('URL_SIGNATURE_INVALID', 'the signed URL is malformed')
  }
  const at = Number(expires)
  const expected = Buffer.from(signature(key, digest, at))
  if (!timingSafeEqual(expected, Buffer.from(provided))) {
    return refused('URL_SIGNATURE_INVALID', 'the URL signature does not match')
  }
  const now = Math.floor(nowMs / 1000)
  if (at <= now) return refused('URL_EXPIRED', 'the signed URL has expired')
  if (at > now + MAX_URL_TTL_SECONDS) {
    return refused('URL_SIGNATURE_INVALID', 'the signed URL expires too far in the future')
  }
  return { kind: 'valid', expires: at }
}

/** The query string of a request target (`/path?query`), or null when it has none. */
export function queryOf(target: string): string | null {
  const q = target.indexOf('?')
  return q === -1 ? null : target.slice(q + 1)
}
