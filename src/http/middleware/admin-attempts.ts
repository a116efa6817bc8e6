// Wrong admin tokens, counted per client address. After ADMIN_FAILURES_MAX wrong tokens from one
// address within ADMIN_WINDOW_MS, every admin credential from that address is refused with 429 —
// without being compared, so a guess that happens to be right teaches nothing — until the window
// ends. Guessing runs at most ADMIN_FAILURES_MAX a minute per address, whatever the token's
// strength. Behind a reverse proxy every client shares the proxy's address: a lockout then holds
// for everyone until the window ends, which is the price of not trusting forwarded headers here.
import type { IncomingMessage } from 'node:http'
import { isIPv6 } from 'node:net'
import type { Context } from 'hono'
import { type Secret, sameText } from '../../secret.js'
import { ApiError } from '../errors.js'

/** Constant-time comparison of a presented token with the configured one (hashed to equal length). */
export function isAdminToken(secret: Secret, presented: string): boolean {
  return sameText(secret.reveal(), presented)
}

export const ADMIN_FAILURES_MAX = 10
export const ADMIN_WINDOW_MS = 60_000
/** Addresses tracked at most; past it the oldest is forgotten (bounded memory under a flood). */
const TRACKED_MAX = 10_000

interface Window {
  since: number
  failures: number
}

export class AdminAttempts {
  readonly #byAddress = new Map<string, Window>()
  readonly #now: () => number

  constructor(now: () => number) {
    this.#now = now
  }

  /** Milliseconds until `address` may present an admin token again; 0 when it may now. */
  lockedForMs(address: string): number {
    const w = this.#byAddress.get(address)
    if (!w) return 0
    const left = w.since + ADMIN_WINDOW_MS - this.#now()
    if (left <= 0) {
      this.#byAddress.delete(address)
      return 0
    }
    return w.failures >= ADMIN_FAILURES_MAX ? left : 0
  }

  failed(address: string): void {
    const now = this.#now()
    const w = this.#byAddress.get(address)
    if (w && now - w.since < ADMIN_WINDOW_MS) {
      w.failures++
      return
    }
    this.#byAddress.delete(address)
    if (this.#byAddress.size >= TRACKED_MAX) {
      const oldest = this.#byAddress.keys().next().value
      if (oldest !== undefined) this.#byAddress.delete(oldest)
    }
    this.#byAddress.set(address, { since: now, failures: 1 })
  }
}

/**
 * Who is counted: the TCP peer's address (node adapter), or 'local' for in-process requests. An
 * IPv6 client usually holds a whole /64, so IPv6 addresses count by their /64; an IPv4-mapped one
 * (::ffff:a.b.c.d) counts as its IPv4 address.
 */
export function clientAddress(c: Context): string {
  const env = c.env as { incoming?: IncomingMessage } | undefined
  return attemptKey(env?.incoming?.socket?.remoteAddress ?? 'local')
}

export function attemptKey(address: string): string {
  if (!isIPv6(address)) return address
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped) return mapped[1]!
  const [head = '', tail = ''] = address.toLowerCase().split('::')
  const left = head === '' ? [] : head.split(':')
  const right = address.includes('::') ? (tail === '' ? [] : tail.split(':')) : []
  const groups = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`
}

export type AdminCheck = { ok: true } | { ok: false; lockedForMs: number }

/**
 * Checks a presented admin token and counts it when wrong, all in one synchronous step: nothing
 * is awaited between the lock check, the comparison and the count, so concurrent requests cannot
 * all pass the check before any failure is recorded. A missing token is refused, not counted.
 */
export function checkAdminToken(
  attempts: AdminAttempts,
  address: string,
  secret: Secret,
  presented: string | undefined,
): AdminCheck {
  const lockedForMs = attempts.lockedForMs(address)
  if (lockedForMs > 0) return { ok: false, lockedForMs }
  if (presented === undefined || presented === '') return { ok: false, lockedForMs: 0 }
  if (isAdminToken(secret, presented)) return { ok: true }
  attempts.failed(address)
  return { ok: false, lockedForMs: 0 }
}

export function tooManyAttempts(ms: number): ApiError {
  return new ApiError(
    'TOO_MANY_ATTEMPTS',
    'too many wrong admin tokens from this address; try again later',
    { 'Retry-After': String(Math.ceil(ms / 1000)) },
  )
}
