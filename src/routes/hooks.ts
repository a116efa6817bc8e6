// POST /hooks/gitea (docs/api.md#webhook--post-hooksgitea): raw body within ASSET_CACHE_WEBHOOK_MAX_BODY and a deadline, HMAC verified
// in constant time, push → refresh queued. No Gitea call, and one SQLite transaction per turn of
// the event loop (group commit, below) whatever the number of deliveries: answers in
// milliseconds.
import { Hono } from 'hono'
import { otherPayloadSchema, pushPayloadSchema } from '../api/requests.js'
import type { AppDeps, AppEnv } from '../app.js'
import { cappedText } from '../capped-text.js'
import { CLIENT_CLOSED } from '../connection-lost.js'
import { groupCommit, UnsyncedCommit } from '../db/group-commit.js'
import {
  DELIVERY_TEXT_BYTES,
  type DeliveryInput,
  type JobRow,
  storedDeliveryId,
} from '../db/index.js'
import { providedSignature, verifySignature } from '../gitea/signature.js'
import { pushFields } from '../gitea/webhook-payload.js'
import { ApiError } from '../http-errors.js'
import type { WebhookOutcome } from '../metrics.js'
import { readBody } from './body.js'
import { handleRefEvent } from './hook-events.js'

/** What to answer; `error` is raised after the transaction commits, so the delivery record stays. */
type Answer =
  | {
      status: 202 | 200
      body: { status: 'queued' | 'ok' | 'ignored'; reason?: string }
      outcome: WebhookOutcome
      /** Jobs queued or joined: the worker pool is woken once they are committed. */
      jobs?: JobRow[]
    }
  | { error: ApiError }

/** The route's own context variable: what the handler decided, for the delivery counter. */
interface HookEnv extends AppEnv {
  Variables: AppEnv['Variables'] & {
    webhook?: { event: string | undefined; outcome?: WebhookOutcome }
  }
}

/** The bytes as text, read in place (Buffer.from(view) would copy them first). */
const utf8 = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')

/**
 * What the signature covers: the raw body for JSON, the decoded `payload` field for a form. Any
 * other content type is checked over the raw body, so that an unsigned request gets 401 before
 * it learns which types are accepted; `supported: false` then answers 400 once it verified.
 */
function signedContent(
  contentType: string,
  body: Uint8Array,
): { content: string | Uint8Array; supported: boolean } {
  const type = contentType.split(';')[0]!.trim().toLowerCase()
  if (type === 'application/json' || type === '') return { content: body, supported: true }
  if (type === 'application/x-www-form-urlencoded') {
    const payload = new URLSearchParams(utf8(body)).get('payload') ?? ''
    return { content: payload, supported: true }
  }
  return { content: body, supported: false }
}

const EVENT_HEADERS = ['x-gitea-event', 'x-forgejo-event', 'x-gogs-event', 'x-github-event']
const DELIVERY_HEADERS = [
  'x-gitea-delivery',
  'x-forgejo-delivery',
  'x-gogs-delivery',
  'x-github-delivery',
]

function firstHeader(get: (n: string) => string | undefined, names: string[]): string | undefined {
  for (const name of names) {
    const value = get(name)
    if (value !== undefined && value !== '') return value
  }
  return undefined
}

/** Best effort: the database that just failed the delivery may fail this too (then it is logged). */
function recordFailed(deps: AppDeps, delivery: DeliveryInput, err: unknown): void {
  const code = (err as { code?: unknown }).code
  const reason = `internal error${typeof code === 'string' ? ` (${code})` : ''}`
  try {
    deps.index.deliveries.record({ ...delivery, outcome: 'failed', reason })
  } catch (recordErr) {
    deps.logger.error(
      { deliveryId: delivery.deliveryId, err: recordErr },
      'could not record a failed webhook delivery',
    )
  }
}

function handlePush(deps: AppDeps, delivery: DeliveryInput, json: unknown): Answer {
  const parsed = pushPayloadSchema.safeParse(pushFields(json))
  if (!parsed.success) {
    deps.index.deliveries.record({
      ...delivery,
      outcome: 'invalid',
      reason: 'push payload fails the schema',
    })
    const issue = parsed.error.issues[0]
    return {
      error: new ApiError(
        400,
        'INVALID_PAYLOAD',
        `push payload: ${issue?.path.join('.')}: ${issue?.message}`,
      ),
    }
  }
  const p = parsed.data
  const repo = p.repository.full_name
  const ref = p.ref.startsWith('refs/heads/') ? p.ref.slice('refs/heads/'.length) : null
  const base = { ...delivery, repo, ref: ref ?? p.ref, before: p.before, after: p.after }
  const ignore = (reason: string): Answer => {
    deps.index.deliveries.record({ ...base, outcome: 'ignored', reason })
    return { status: 200, body: { status: 'ignored', reason }, outcome: 'ignored' }
  }
  if (p.ref.startsWith('refs/tags/')) return ignore('tag push')
  if (ref === null) return ignore('not a branch')
  if (p.before === p.after) {
    // Gitea's "Test Delivery": before and after the same id, the zero id of the repository's
    // object format since 1.22 (40 or 64 zeros), the default branch's head before. Gitea sends
    // it only when the hook's branch filter admits the default branch; no real push has it.
    deps.index.deliveries.record({ ...base, outcome: 'ok', reason: 'test delivery' })
    return { status: 200, body: { status: 'ok' }, outcome: 'ok' }
  }
  // A push with the zero `before` created the branch; Gitea sends no push for a deletion (that
  // is the `delete` event), so a zero `after` is no special case: the job asks for the head.
  const templates = deps.index.templates.tracking(repo, ref)
  // The branch exists: a deletion recorded for it no longer holds.
  for (const t of templates) deps.index.branches.clear(t.name)
  if (templates.length === 0) {
    const known = deps.index.templates
      .all()
      .some((t) => t.removedAt === null && t.repo?.toLowerCase() === repo.toLowerCase())
    return ignore(known ? `untracked ref ${ref}` : 'untracked repository')
  }
  // The same push delivered twice (two hooks, a replay): the latest handled push already had it.
  if (deps.index.deliveries.lastPushAfter(repo, ref) === p.after) {
    deps.index.deliveries.record({
      ...base,
      outcome: 'duplicate',
      reason: 'same repository, ref and after',
    })
    return { status: 200, body: { status: 'ignored', reason: 'duplicate' }, outcome: 'duplicate' }
  }
  const jobs = templates.map(
    (t) =>
      deps.index.jobs.enqueue({
        template: t.name,
        trigger: 'webhook',
        deliveryId: delivery.deliveryId,
        settleMs: PUSH_SETTLE_MS,
        settleMaxMs: PUSH_SETTLE_MAX_MS,
      }).job,
  )
  deps.index.deliveries.record({ ...base, outcome: 'queued', jobIds: jobs.map((j) => j.id) })
  return { status: 202, body: { status: 'queued' }, outcome: 'queued', jobs }
}

/**
 * A push that arrives while its template is being fetched means the branch is moving: the next
 * fetch waits until pushes have been quiet this long (at most the cap after it was queued), so a
 * burst of pushes costs two downloads, not one per push. A lone push is fetched at once.
 */
const PUSH_SETTLE_MS = 300
const PUSH_SETTLE_MAX_MS = 10_000

/** Event label values: the header is the sender's, so anything else is `other` (bounded). */
const COUNTED_EVENTS = new Set(['push', 'create', 'delete', 'ping', 'release', 'repository'])

/**
 * The outcome of an answer the handler did not label: a refusal raised before a delivery was
 * recorded (401, 413, 503), a 400 after the signature verified (recorded as invalid), a body the
 * sender did not finish in time (408) or abandoned (499), or anything else (an internal error,
 * another method).
 */
function outcomeOfStatus(status: number): WebhookOutcome {
  switch (status) {
    case 202:
      return 'queued'
    case 401:
      return 'unauthorized'
    case 413:
      return 'too_large'
    case 408:
      return 'timeout'
    case 503:
      return 'disabled'
    case 400:
      return 'invalid'
    case CLIENT_CLOSED:
      return 'aborted'
  }
  return 'bad_request'
}

export const hookRoutes = new Hono<HookEnv>()

hookRoutes.use('/gitea', async (c, next) => {
  await next()
  const decided = c.var.webhook
  const event = decided ? decided.event : firstHeader((name) => c.req.header(name), EVENT_HEADERS)
  c.var.metrics.webhookDeliveries.inc({
    event: event === undefined ? 'none' : COUNTED_EVENTS.has(event) ? event : 'other',
    outcome: decided?.outcome ?? outcomeOfStatus(c.res.status),
  })
})

hookRoutes.post('/gitea', async (c) => {
  const deps = c.var.deps
  const secret = deps.config.webhookSecret
  if (!secret)
    throw new ApiError(
      503,
      'WEBHOOK_DISABLED',
      'no webhook secret is configured; deliveries are refused',
    )

  const body = await readBody(c.req.raw, {
    maxBytes: deps.config.webhookMaxBodyBytes,
    deadlineMs: deps.config.http.bodyTimeoutMs,
  })
  const get = (name: string) => c.req.header(name)
  const { content: signed, supported } = signedContent(c.req.header('content-type') ?? '', body)
  if (!verifySignature(secret, signed, providedSignature(get))) {
    throw new ApiError(401, 'UNAUTHORIZED', 'missing or invalid webhook signature')
  }

  // The sender's header text, capped here once: the delivery row, the job's delivery id and the
  // reason texts below all use the capped form (the metric label is one of a fixed set).
  const rawEvent = firstHeader(get, EVENT_HEADERS)
  const event = rawEvent === undefined ? undefined : cappedText(rawEvent, DELIVERY_TEXT_BYTES.event)
  const deliveryId = firstHeader(get, DELIVERY_HEADERS)
  const delivery: DeliveryInput = {
    deliveryId: deliveryId === undefined ? null : storedDeliveryId(deliveryId),
    event: event ?? '(none)',
    outcome: 'invalid',
  }
  c.set('webhook', { event })

  if (!supported) {
    deps.index.deliveries.record({ ...delivery, reason: 'unsupported content type' })
    throw new ApiError(
      400,
      'UNSUPPORTED_MEDIA_TYPE',
      'expected application/json or application/x-www-form-urlencoded',
    )
  }
  let json: unknown
  try {
    json = JSON.parse(typeof signed === 'string' ? signed : utf8(signed))
  } catch {
    deps.index.deliveries.record({ ...delivery, reason: 'malformed JSON' })
    throw new ApiError(400, 'MALFORMED_JSON', 'the body is not valid JSON')
  }
  if (!event) {
    deps.index.deliveries.record({ ...delivery, reason: 'no event header' })
    throw new ApiError(400, 'BAD_REQUEST', 'missing X-Gitea-Event header')
  }

  const answer = await groupCommit<Answer>(deps.index.db)
    .run((): Answer => {
      if (delivery.deliveryId && deps.index.deliveries.seen(delivery.deliveryId)) {
        deps.index.deliveries.record({
          ...delivery,
          outcome: 'duplicate',
          reason: 'delivery id already handled',
        })
        return {
          status: 200,
          body: { status: 'ignored', reason: 'duplicate' },
          outcome: 'duplicate',
        }
      }
      if (event === 'push') return handlePush(deps, delivery, json)
      const other = otherPayloadSchema.safeParse(json)
      if (!other.success) {
        deps.index.deliveries.record({ ...delivery, reason: `${event} payload fails the schema` })
        return {
          error: new ApiError(
            400,
            'INVALID_PAYLOAD',
            `${event} payload: ${other.error.issues[0]?.message}`,
          ),
        }
      }
      const reason = handleRefEvent(deps, delivery, event, {
        repo: other.data.repository?.full_name ?? null,
        ref: other.data.ref ?? null,
        refType: other.data.ref_type ?? null,
      })
      return { status: 200, body: { status: 'ignored', reason }, outcome: 'ignored' }
    })
    .catch((err: unknown) => {
      // Its savepoint (or the whole batch) rolled back. Gitea will not retry: leave a record of
      // it for admins (the reconciler still picks the push up from the branch head), then 500.
      c.set('webhook', { event, outcome: 'failed' })
      // An unsynced commit already holds the delivery's row (and its job): nothing to add.
      if (!(err instanceof UnsyncedCommit)) recordFailed(deps, delivery, err)
      throw err
    })
  if ('error' in answer) throw answer.error
  c.set('webhook', { event, outcome: answer.outcome })
  for (const job of answer.jobs ?? []) {
    try {
      deps.onEnqueued?.(job)
    } catch (err) {
      // The job is committed: the pool finds it on its next poll.
      deps.logger.error({ jobId: job.id, err }, 'could not wake the worker pool')
    }
  }
  return c.json(answer.body, answer.status)
})
