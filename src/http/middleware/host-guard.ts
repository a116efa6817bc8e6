// DNS rebinding. With no read tokens and anonymous reads not allowed on purpose, the listener is
// on loopback (server start-up refuses anything else) and whatever reaches it may read. A web page
// whose name its owner re-points at 127.0.0.1 reaches it too, from a browser on the same machine,
// and that browser sends the page's name as Host. So in that mode only loopback names are served,
// on every route and on the hot bundle path alike; any other Host is answered 421
// HOST_NOT_ALLOWED. With read tokens the token decides; with ASSET_CACHE_ALLOW_ANONYMOUS_READS=true
// the operator chose to serve anyone, under any name (a reverse proxy passing its own Host).
//
// The check is an allowlist, decided by construction on the host as the HTTP adapter hands it
// over (lower case, an IP literal in its canonical form): `localhost`, a dotted-quad in
// 127.0.0.0/8, or `[::1]`, each with an optional port. Not `*.localhost`, not `localhost.`.
import { createMiddleware } from 'hono/factory'
import type { Config } from '../../config.js'
import type { AppEnv } from '../env.js'
import { ApiError } from '../errors.js'

/** Whether the Host must be a loopback name: anonymous reads that nobody allowed on purpose. */
export function loopbackOnly(config: Pick<Config, 'readTokens' | 'allowAnonymousReads'>): boolean {
  return config.readTokens.length === 0 && !config.allowAnonymousReads
}

const DIGITS = /^\d+$/

/** `0`–`255` written without leading zeros. */
function isOctet(text: string): boolean {
  return (
    DIGITS.test(text) &&
    text.length <= 3 &&
    (text === '0' || text[0] !== '0') &&
    Number(text) <= 255
  )
}

/** `0`–`65535`, one to five digits. */
function isPort(text: string): boolean {
  return DIGITS.test(text) && text.length <= 5 && Number(text) <= 65_535
}

function isLoopbackName(name: string): boolean {
  if (name === 'localhost' || name === '[::1]') return true
  const parts = name.split('.')
  return parts.length === 4 && parts[0] === '127' && parts.every(isOctet)
}

/** Whether `host` (`name` or `name:port`, ASCII case-insensitive) names this machine's loopback. */
export function isLoopbackHost(host: string): boolean {
  const lower = host.toLowerCase()
  // An IPv6 literal is bracketed; its colons are not a port separator.
  const end = lower.startsWith('[') ? lower.indexOf(']') + 1 : 0
  const colon = lower.indexOf(':', end)
  const name = colon === -1 ? lower : lower.slice(0, colon)
  if (colon !== -1 && !isPort(lower.slice(colon + 1))) return false
  return isLoopbackName(name)
}

const refused = () =>
  new ApiError(
    'HOST_NOT_ALLOWED',
    'without read tokens this cache answers only to loopback names (localhost, 127.0.0.0/8, [::1]); ' +
      'set ASSET_CACHE_READ_TOKENS to serve it under other names',
  )

/**
 * Refuses a request whose Host (as the HTTP adapter resolved it into the request URL: the header,
 * or the listen address when there is none) is not a loopback name. A Host the URL parser cannot
 * read (`.2`, an IPv4 number out of range) is no loopback name either: refused, never a 500.
 */
export const hostGuard = createMiddleware<AppEnv>(async (c, next) => {
  if (!isLoopbackHost(requestHost(c.req.url))) throw refused()
  return next()
})

function requestHost(url: string): string {
  try {
    return new URL(url).host
  } catch {
    return ''
  }
}
