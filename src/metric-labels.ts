// The label values of the metrics (metrics.ts) that name an outcome or a phase: closed sets, so
// a series count stays bounded whatever a sender or an origin does.

/** Outcomes of POST /hooks/gitea: the recorded delivery outcomes, then the refusals before one. */
export type WebhookOutcome =
  | 'queued'
  | 'ok'
  | 'ignored'
  | 'duplicate'
  | 'invalid'
  | 'failed'
  | 'unauthorized'
  | 'bad_request'
  | 'too_large'
  | 'disabled'
  | 'busy'
  | 'timeout'
  | 'aborted'

/**
 * ready: a new head became ready (new or reused digest); unchanged: the head already had its
 * version, or the template is no longer tracked; rejected: the head's archive is refused (now or
 * earlier); failed: the job gave up (permanent error or attempts used up); retry: a run failed
 * and the job was queued again (backoff, or interrupted by shutdown).
 */
export type JobOutcome = 'ready' | 'unchanged' | 'rejected' | 'failed' | 'retry'

/** See createRefresher for what each phase covers. */
export type JobPhase = 'head' | 'fetch' | 'validate' | 'store' | 'total'

/**
 * One per failed Gitea attempt. http_4xx also counts 3xx (never followed); bad_response is a
 * 200 whose JSON is missing or malformed; too_large and wrong_commit are archives refused.
 */
export type GiteaErrorKind =
  | 'network'
  | 'timeout'
  | 'http_5xx'
  | 'http_429'
  | 'http_4xx'
  | 'truncated'
  | 'too_large'
  | 'wrong_commit'
  | 'bad_response'
