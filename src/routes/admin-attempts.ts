// Wrong admin tokens, counted per client address. After ADMIN_FAILURES_MAX wrong tokens from one
// address within ADMIN_WINDOW_MS, every admin credential from that address is refused with 429 —
// without being compared, so a guess that happens to be right teaches nothing — until the window
// ends. Guessing runs at most ADMIN_FAILURES_MAX a minute per address, whatever the token's
// strength. Behind a reverse proxy every client shares the proxy's address: a lockout then holds
// for everyone until the window ends, which is the price of not trusting forwarded headers here.
import type { IncomingMessage } from 'node:http'
import type { Context } from 'hono'
import type { AppDeps } from '../app.js'
import { ApiError } from '../http-errors.js'

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

  constructor(now: () => number = Date.now) {
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

const perApp = new WeakMap<AppDeps, AdminAttempts>()

export function adminAttempts(deps: AppDeps): AdminAttempts {
  let attempts = perApp.get(deps)
  if (!attempts) {
    attempts = new AdminAttempts(deps.now)
    perApp.set(deps, attempts)
  }
  return attempts
}

/** The TCP peer's address (node adapter), or 'local' for in-process requests. */
export function clientAddress(c: Context): string {
  const env = c.env as { incoming?: IncomingMessage } | undefined
  return env?.incoming?.socket?.remoteAddress ?? 'local'
}

export function tooManyAttempts(ms: number): ApiError {
  return new ApiError(
    429,
    'TOO_MANY_ATTEMPTS',
    'too many wrong admin tokens from this address; try again later',
    { 'Retry-After': String(Math.ceil(ms / 1000)) },
  )
}
