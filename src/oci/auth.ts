// Credentials the /v2 API accepts, as registry clients send them: `Authorization: Basic` with any
// user name and a read token as the password (skopeo `--creds user:TOKEN`, `docker login`, a
// pull-through registry's `proxy.password`), or `Authorization: Bearer <read token>` — sent
// directly, or obtained from the token endpoint that the Bearer challenge names (it answers the
// caller's own read token back: the bearer is never more than the credential presented).
// Parsing is an allowlist of characters; anything else is no credential at all.

/** `Basic <base64>` (RFC 7617): canonical base64, padding included or not. */
const BASIC = /^Basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i
/** Longest Authorization value looked at (a token is far shorter). */
const MAX_HEADER = 4096

/** Whether a header uses the Basic scheme (then basicPassword decides; Bearer is read-auth's). */
export function isBasic(header: string | undefined): boolean {
  return header !== undefined && /^Basic[ \t]/i.test(header)
}

/** The password of `Authorization: Basic`, or null when the value is not one that could be valid. */
export function basicPassword(header: string | undefined): string | null {
  if (header === undefined || header.length > MAX_HEADER) return null
  const basic = BASIC.exec(header)
  if (!basic) return null
  const encoded = basic[1]!
  if (encoded.replace(/=+$/, '').length % 4 === 1) return null
  const decoded = Buffer.from(encoded, 'base64')
  const text = decoded.toString('utf8')
  // Refuse bytes that are not UTF-8 (they would decode to U+FFFD and compare as something else).
  if (!Buffer.from(text, 'utf8').equals(decoded)) return null
  const colon = text.indexOf(':')
  if (colon === -1) return null
  const password = text.slice(colon + 1)
  // What a Bearer header could carry: no white space, no control character.
  return /^[^\s\p{Cc}]+$/u.test(password) ? password : null
}

/** The service name in Bearer challenges and token requests. */
export const SERVICE = 'asset-cache'
export const TOKEN_PATH = '/v2/token'

/** A Host header value safe to echo in a challenge's realm: host name or IP literal, optional port. */
const HOST = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$/

/**
 * The `WWW-Authenticate` value of a 401: Bearer first, then Basic, in one header (RFC 9110 §11.6.1
 * list). Go registry clients (distribution's pull-through proxy, containers/image behind skopeo
 * and CRI-O, containerd) read only the first challenge of a header line, and distribution's proxy
 * hands its configured credentials only to a Bearer realm — so Bearer leads: those clients fetch
 * a bearer from the token endpoint with the read token as Basic password, then send it. Basic
 * is still accepted on every request (curl -u, clients that only speak Basic). The realm is
 * ASSET_CACHE_PUBLIC_URL's when it is set (the request's Host then plays no part); otherwise it
 * is built from the Host, and Bearer is offered only when that Host can name the token endpoint.
 */
export function challenge(
  host: string | undefined,
  forwardedProto: string | undefined,
  repository: string | null,
  publicUrl: URL | null = null,
): string {
  const basic = `Basic realm="${SERVICE}"`
  const scope = repository === null ? '' : `,scope="repository:${repository}:pull"`
  const realm = publicUrl ? realmOf(publicUrl) : hostRealm(host, forwardedProto)
  if (realm === null) return basic
  return `Bearer realm="${realm}",service="${SERVICE}"${scope}, ${basic}`
}

/** `<public URL>/v2/token`, the public URL's path kept (a cache behind a path prefix). */
function realmOf(publicUrl: URL): string {
  const base = `${publicUrl.origin}${publicUrl.pathname.replace(/\/+$/, '')}`
  return `${base}${TOKEN_PATH}`
}

function hostRealm(host: string | undefined, forwardedProto: string | undefined): string | null {
  if (host === undefined || !HOST.test(host)) return null
  const scheme = forwardedProto?.trim().toLowerCase() === 'https' ? 'https' : 'http'
  return `${scheme}://${host}${TOKEN_PATH}`
}
