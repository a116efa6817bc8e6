// The whole-pull deadline shared by `pull` and `pull oci://`: one timer whose abort reason is a
// coded ClientError, so whatever notices the abort (undici, the tar reader) fails the pull with
// PULL_TIMEOUT and not with whatever the cut caused. A caller's own signal still aborts with its reason.
import { formatDuration } from '../units.js'
import { ClientError } from './errors.js'

export const DEFAULT_PULL_TIMEOUT_MS = 5 * 60_000
/** setTimeout's limit (about 24.8 days): a longer timer would fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1

export async function withDeadline<T>(
  timeoutMs: number,
  callerSignal: AbortSignal | undefined,
  run: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0 || timeoutMs > MAX_TIMER_MS) {
    throw new ClientError(
      'INVALID_OPTION',
      `timeoutMs must be a whole number of milliseconds from 1 to ${MAX_TIMER_MS}, got ${timeoutMs}`,
    )
  }
  const deadline = new AbortController()
  const timer = setTimeout(() => {
    const within = formatDuration(timeoutMs)
    deadline.abort(
      new ClientError('PULL_TIMEOUT', `pull did not finish within ${within}`, { timeoutMs }),
    )
  }, timeoutMs)
  const signal = callerSignal ? AbortSignal.any([callerSignal, deadline.signal]) : deadline.signal
  try {
    return await run(signal)
  } catch (err) {
    if (deadline.signal.aborted && !callerSignal?.aborted) throw deadline.signal.reason
    throw err
  } finally {
    clearTimeout(timer)
  }
}
