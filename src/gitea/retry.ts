// Exponential backoff with full jitter, and Retry-After (RFC 9110 §10.2.3) parsing.

export interface BackoffOptions {
  baseMs: number
  maxMs: number
  /** Random source in [0, 1); injectable so tests can pin it. */
  random?: () => number
}

/** Delay before retry number `attempt` (1-based): uniform in [base·2^(attempt-1) / 2, base·2^(attempt-1)], capped. */
export function backoffDelay(
  attempt: number,
  { baseMs, maxMs, random = Math.random }: BackoffOptions,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(ceiling / 2 + (random() * ceiling) / 2)
}

/** Work retried with backoff until it has been tried `maxAttempts` times (jobs, status posts). */
export interface RetryOptions {
  /** Tries before the work is left failed. */
  maxAttempts?: number
  backoffBaseMs?: number
  backoffMaxMs?: number
  /** Random source in [0, 1) for the jitter. */
  random?: () => number
}

/** backoffDelay() under `options`, their defaults filled in. */
export function retryDelay(attempt: number, options: Required<RetryOptions>): number {
  return backoffDelay(attempt, {
    baseMs: options.backoffBaseMs,
    maxMs: options.backoffMaxMs,
    random: options.random,
  })
}

/** Milliseconds to wait from a Retry-After value (delta-seconds or an HTTP-date), or null. */
export function retryAfterMs(value: string | string[] | undefined, now: number): number | null {
  const text = Array.isArray(value) ? value[0] : value
  if (!text) return null
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000
  const at = Date.parse(text)
  return Number.isNaN(at) ? null : Math.max(0, at - now)
}

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
