// Before an archive download is retried, the branch is asked again where its head is. A commit
// that is no longer the head is not worth another wait: an archive that timed out (Gitea's queue
// still generating it, or a Gitea ≤ 1.24 that never answers for a commit it no longer has after a
// force-push) or failed with a 5xx is given up, its outcome recorded, and the job ends. The push
// that moved the branch queued (or the next reconcile queues) the refresh of the new head.
import { type GiteaClient, GiteaError } from '../gitea/client.js'

/** Failures after which the head is checked before the next attempt. */
export function worthAHeadCheck(err: unknown): boolean {
  if (!(err instanceof GiteaError) || !err.retryable) return false
  return (
    err.code === 'GITEA_ARCHIVE_TIMEOUT' ||
    (err.code === 'GITEA_UNAVAILABLE' && err.status !== undefined && err.status >= 500)
  )
}

/** The download of `commit` stopped because the branch moved on (or is gone). */
export class Superseded extends Error {
  readonly commit: string
  /** The branch's head now; null when the branch no longer exists. */
  readonly head: string | null
  /** The failure of the last attempt. */
  readonly failure: GiteaError
  constructor(commit: string, head: string | null, failure: GiteaError) {
    super(
      head === null
        ? `${failure.message}; not retried: the branch no longer exists`
        : `${failure.message}; not retried: the branch moved on to ${head}`,
    )
    this.name = 'Superseded'
    this.commit = commit
    this.head = head
    this.failure = failure
  }
}

/**
 * Wraps one download attempt: from the second attempt on, when the previous one failed in a way
 * worthAHeadCheck names, the head is read first and Superseded thrown (never retried) when it is
 * no longer `commit`.
 */
export function checkingHead<T>(
  gitea: GiteaClient,
  repo: string,
  ref: string,
  commit: string,
  attempt: (n: number) => Promise<T>,
  signal: AbortSignal,
): (n: number) => Promise<T> {
  let last: unknown = null
  return async (n) => {
    if (n > 1 && worthAHeadCheck(last)) {
      // One lookup, no retries of its own: when it fails, the archive is simply tried again.
      let head: string | null = commit
      try {
        head = await gitea.branchHead(repo, ref, signal, { once: true })
      } catch (err) {
        if (err instanceof GiteaError && err.code === 'GITEA_NOT_FOUND') head = null
        else if (signal.aborted) throw err
      }
      if (head !== commit) throw new Superseded(commit, head, last as GiteaError)
    }
    try {
      return await attempt(n)
    } catch (err) {
      last = err
      throw err
    }
  }
}
