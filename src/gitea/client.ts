// Gitea API client (undici): branch heads and commit archives, bounded and retried.
// Only GITEA_BASE_URL plus a configured repository is ever requested: payload URLs are never used.
import { PassThrough, type Readable } from 'node:stream'
import { Agent, request } from 'undici'
import { z } from 'zod'
import { ARCHIVE_WAIT_MS } from '../bundle/limits.js'
import type { GiteaErrorKind, Metrics } from '../metrics.js'
import type { Secret } from '../secret.js'
import {
  archiveWaitError,
  GiteaError,
  type GiteaErrorCode,
  networkError,
  networkErrorKind,
} from './errors.js'
import { OBJECT_ID, OBJECT_ID_MESSAGE } from './object-id.js'
import { ARCHIVE_REDIRECTS, followArchiveRedirect, locationOf } from './redirect.js'
import { backoffDelay, sleep } from './retry.js'
import { movedTo, statusError } from './status.js'

export { GiteaError, type GiteaErrorCode, networkError, networkErrorKind } from './errors.js'

export interface GiteaClientOptions {
  baseUrl: URL
  token: Secret
  connectTimeoutMs?: number
  /** Time to the response headers of a branch lookup (and of a hop to object storage). */
  headersTimeoutMs?: number
  /**
   * Time to the response headers of an archive request: Gitea's archive queue holds the request
   * while it generates the archive, with no timeout of its own (ARCHIVE_WAIT_MS).
   */
  archiveWaitMs?: number
  /** Longest silence between two body chunks. */
  bodyTimeoutMs?: number
  /** Attempts per call, the first included. */
  attempts?: number
  backoffBaseMs?: number
  backoffMaxMs?: number
  /** A Retry-After longer than this is capped (Gitea behind a proxy can ask for hours). */
  maxRetryAfterMs?: number
  random?: () => number
  /** The clock an HTTP-date Retry-After is measured against. */
  now: () => number
  /** Called for every attempt's outcome (metrics, logs). */
  onAttempt?: (event: {
    route: 'branch' | 'archive'
    status?: number
    error?: GiteaErrorCode
    attempt: number
  }) => void
  /** asset_cache_gitea_request_errors_total: one increment per failed attempt. */
  metrics?: Pick<Metrics, 'giteaRequestErrors'>
}

const branchSchema = z.object({
  name: z.string(),
  commit: z.object({ id: z.string().regex(OBJECT_ID, OBJECT_ID_MESSAGE) }),
})

/** `owner/name` and a ref, each path segment encoded (a branch may contain `/`). */
function repoPath(repo: string): string {
  const [owner, name] = repo.split('/')
  return `/api/v1/repos/${encodeURIComponent(owner!)}/${encodeURIComponent(name!)}`
}
const encodeRef = (ref: string) => ref.split('/').map(encodeURIComponent).join('/')

export class GiteaClient {
  readonly #base: URL
  readonly #token: Secret
  readonly #agent: Agent
  readonly #opts: Required<
    Omit<GiteaClientOptions, 'baseUrl' | 'token' | 'onAttempt' | 'random' | 'metrics'>
  > &
    Pick<GiteaClientOptions, 'onAttempt' | 'random' | 'metrics'>

  constructor(options: GiteaClientOptions) {
    this.#base = options.baseUrl
    this.#token = options.token
    this.#opts = {
      connectTimeoutMs: 5_000,
      headersTimeoutMs: 30_000,
      archiveWaitMs: ARCHIVE_WAIT_MS,
      bodyTimeoutMs: 10_000,
      attempts: 4,
      backoffBaseMs: 500,
      backoffMaxMs: 15_000,
      maxRetryAfterMs: 60_000,
      ...options,
    }
    this.#agent = new Agent({
      connect: { timeout: this.#opts.connectTimeoutMs },
      headersTimeout: this.#opts.headersTimeoutMs,
      bodyTimeout: this.#opts.bodyTimeoutMs,
      // undici 7 follows no redirects without the redirect interceptor, which would re-send the
      // token: an archive redirect is followed by hand, without it (redirect.ts); any other 3xx
      // is a rename (GITEA_REPO_MOVED) or a refusal.
    })
  }

  /**
   * Counts one failed attempt. Requests are counted here; faults found in an archive body
   * (truncated, too large, another commit, a stall or reset mid-body) by the caller reading it.
   */
  noteError(kind: GiteaErrorKind): void {
    this.#opts.metrics?.giteaRequestErrors.inc({ kind })
  }

  /** Runs `fn` until it succeeds, it fails with a non-retryable error, or the attempts run out. */
  async withRetries<T>(fn: (attempt: number) => Promise<T>, signal?: AbortSignal): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn(attempt)
      } catch (err) {
        const retryable = err instanceof GiteaError && err.retryable
        if (!retryable || attempt >= this.#opts.attempts || signal?.aborted) throw err
        const backoff = backoffDelay(attempt, {
          baseMs: this.#opts.backoffBaseMs,
          maxMs: this.#opts.backoffMaxMs,
          ...(this.#opts.random ? { random: this.#opts.random } : {}),
        })
        const asked =
          err.retryAfterMs === null ? 0 : Math.min(err.retryAfterMs, this.#opts.maxRetryAfterMs)
        await sleep(Math.max(backoff, asked), signal)
      }
    }
  }

  /** The commit id at the head of `ref` (one call, with retries unless `once`). */
  async branchHead(
    repo: string,
    ref: string,
    signal?: AbortSignal,
    { once = false }: { once?: boolean } = {},
  ): Promise<string> {
    const lookup = async (attempt: number) => {
      const body = await this.#get(
        'branch',
        `${repoPath(repo)}/branches/${encodeRef(ref)}`,
        attempt,
        signal,
      )
      let json: unknown
      try {
        json = await body.json()
      } catch (cause) {
        this.noteError('bad_response')
        throw new GiteaError('GITEA_BAD_RESPONSE', 'branch response is not JSON', {
          cause,
          retryable: true,
        })
      }
      const parsed = branchSchema.safeParse(json)
      if (!parsed.success) {
        this.noteError('bad_response')
        throw new GiteaError(
          'GITEA_BAD_RESPONSE',
          `branch response: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
        )
      }
      return parsed.data.commit.id
    }
    return once ? lookup(1) : this.withRetries(lookup, signal)
  }

  /**
   * One attempt at `archive/{sha}.tar.gz`: resolves with the body stream once a 200's headers
   * arrive. The caller bounds and validates the body; mid-body failures surface on the stream.
   */
  async openArchive(
    repo: string,
    sha: string,
    attempt = 1,
    signal?: AbortSignal,
  ): Promise<Readable> {
    if (!OBJECT_ID.test(sha)) throw new GiteaError('GITEA_REFUSED', 'not a full commit id')
    const body = await this.#get(
      'archive',
      `${repoPath(repo)}/archive/${sha}.tar.gz`,
      attempt,
      signal,
    )
    return readAhead(body)
  }

  async close(): Promise<void> {
    await this.#agent.close()
  }

  async #get(route: 'branch' | 'archive', path: string, attempt: number, signal?: AbortSignal) {
    const url = new URL(this.#base.pathname.replace(/\/$/, '') + path, this.#base)
    let res: Awaited<ReturnType<typeof request>>
    try {
      res = await request(url, {
        method: 'GET',
        dispatcher: this.#agent,
        headers: { authorization: `token ${this.#token.reveal()}`, accept: 'application/json' },
        ...(route === 'archive' ? { headersTimeout: this.#opts.archiveWaitMs } : {}),
        ...(signal ? { signal } : {}),
      })
    } catch (cause) {
      const error =
        route === 'archive'
          ? (archiveWaitError(cause, this.#opts.archiveWaitMs) ?? networkError(cause))
          : networkError(cause)
      // A shutdown's abort is ours, not Gitea's.
      if (!signal?.aborted) this.noteError(networkErrorKind(cause))
      this.#opts.onAttempt?.({ route, error: error.code, attempt })
      throw error
    }
    const status = res.statusCode
    this.#opts.onAttempt?.({ route, status, attempt })
    if (status === 200) return res.body
    const location = locationOf(res.headers)
    if (
      route === 'archive' &&
      ARCHIVE_REDIRECTS.has(status) &&
      movedTo(location, this.#base) === null
    ) {
      res.body.resume().on('error', () => {})
      return followArchiveRedirect(location, url, {
        dispatcher: this.#agent,
        noteError: (kind) => this.noteError(kind),
        ...(signal ? { signal } : {}),
      })
    }
    this.noteError(status === 429 ? 'http_429' : status >= 500 ? 'http_5xx' : 'http_4xx')
    res.body.resume().on('error', () => {})
    throw statusError(route, status, res.headers, this.#base, this.#opts.now())
  }
}

/** Archive bytes taken from undici's body before it is paused again (see readAhead). */
const ARCHIVE_READ_AHEAD = 256 * 1024

/**
 * The archive body, paused and resumed in steps of ARCHIVE_READ_AHEAD bytes rather than one chunk.
 * Each time undici's body is paused, its parser puts the unparsed bytes back on the socket, and
 * the next read concatenates them with what arrived meanwhile into a fresh buffer. With a slow
 * reader (4 concurrent ingests under serve load) that happened every 16–64 KiB and allocated 3–8
 * bytes per archive byte (counted at the wire meter: 54–124 MiB of buffers per 16 MiB archive).
 * A pipe into a writable buffer of this size pauses the body only when the buffer is full and
 * resumes it once the buffer has emptied. Errors (and the error objects) pass through unchanged;
 * destroying the returned stream destroys the body, aborting the request.
 */
function readAhead(body: Readable): Readable {
  const out = new PassThrough({ writableHighWaterMark: ARCHIVE_READ_AHEAD })
  body.on('error', (err) => out.destroy(err))
  out.on('close', () => {
    if (!body.destroyed) body.destroy()
  })
  body.pipe(out)
  return out
}
