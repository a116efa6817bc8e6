// Polling for a condition in tests and the bench: no fixed sleeps, a generous deadline.
import { setTimeout as sleep } from 'node:timers/promises'

export interface UntilOptions {
  /** Give up (throw) after this long; default 15 s. */
  timeoutMs?: number
  /** Pause between checks; default 10 ms. */
  everyMs?: number
  /** Names the condition in the timeout error (default: the predicate's source). */
  what?: string
}

/** What a met condition resolves with: the predicate's value, minus the falsy ones. */
export type Met<T> = Exclude<T, undefined | null | false | 0 | ''>

/**
 * Calls `predicate` until it returns a truthy value and resolves with that value; throws after
 * `timeoutMs`. A predicate that throws ends the wait with its error.
 */
export async function until<T>(
  predicate: () => T | Promise<T>,
  options: UntilOptions = {},
): Promise<Met<T>> {
  const { timeoutMs = 15_000, everyMs = 10 } = options
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await predicate()
    if (value) return value as Met<T>
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${options.what ?? predicate.toString()}`,
      )
    await sleep(everyMs)
  }
}
