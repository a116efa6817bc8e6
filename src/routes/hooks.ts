// POST /hooks/gitea (DESIGN.md "Webhook receiver"): raw body ≤ 1 MiB, HMAC verified in constant
// time, push → refresh queued. One SQLite transaction and no Gitea call: answers in milliseconds.
import { Hono } from 'hono'
import { otherPayloadSchema, pushPayloadSchema } from '../api/requests.js'
import type { AppDeps, AppEnv } from '../app.js'
import type { DeliveryInput } from '../db/index.js'
import { providedSignature, verifySignature } from '../gitea/signature.js'
import { ZERO_SHA } from '../gitea/webhook-payload.js'
import { ApiError } from '../http-errors.js'
import type { WebhookOutcome } from '../metrics.js'

export const MAX_WEBHOOK_BYTES = 1024 * 1024

/** What to answer; `error` is raised after the transaction commits, so the delivery record stays. */
type Answer =
  | { status: 202 | 200; body: { status: 'queued' | 'ok' | 'ignored'; reason?: string } }
  | { error: ApiError }

/** Reads the body, refusing past `max` bytes whatever Content-Length claims. */
async function readBody(req: Request, max: number): Promise<Uint8Array> {
  const declared = Number(req.headers.get('content-length') ?? '0')
  if (declared > max)
    throw new ApiError(413, 'PAYLOAD_TOO_LARGE', `webhook bodies are limited to ${max} bytes`)
  if (!req.body) return new Uint8Array()
  const chunks: Uint8Array[] = []
  let size = 0
  const reader = req.body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > max) {
      await reader.cancel()
      throw new ApiError(413, 'PAYLOAD_TOO_LARGE', `webhook bodies are limited to ${max} bytes`)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks)
}

/** The bytes Gitea signed: the raw JSON body, or the decoded `payload` field of a form body. */
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
    const payload = new URLSearchParams(Buffer.from(body).toString('utf8')).get('payload') ?? ''
    return { content: payload, supported: true }
  }
  return { content: body, supported: false }
}

const EVENT_HEADERS = ['x-gitea-event', 'x-forgejo-event', 'x-gogs-event', 'x-github-event']

const firstHeader = (get: (n: string) => string | undefined, names: string[]) =>
  names.map(get).find((v) => v !== undefined && v !== '')

function handlePush(deps: AppDeps, delivery: DeliveryInput, json: unknown): Answer {
  const parsed = pushPayloadSchema.safeParse(json)
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
    return { status: 200, body: { status: 'ignored', reason } }
  }
  if (p.ref.startsWith('refs/tags/')) return ignore('tag push')
  if (ref === null) return ignore('not a branch')
  if (p.before === p.after) {
    // Gitea's "Test Delivery": before and after are the same commit.
    deps.index.deliveries.record({ ...base, outcome: 'ok', reason: 'test delivery' })
    return { status: 200, body: { status: 'ok' } }
  }
  if (ZERO_SHA.test(p.after)) return ignore('branch deleted; the last good bundle keeps serving')
  const templates = deps.index.templates.tracking(repo, ref)
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
    return { status: 200, body: { status: 'ignored', reason: 'duplicate' } }
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
  for (const job of jobs) deps.onEnqueued?.(job)
  return { status: 202, body: { status: 'queued' } }
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

/** The delivery's outcome, read back from the answer (its status, and its body where needed). */
async function outcomeOf(res: Response): Promise<WebhookOutcome> {
  switch (res.status) {
    case 202:
      return 'queued'
    case 401:
      return 'unauthorized'
    case 413:
      return 'too_large'
    case 503:
      return 'disabled'
  }
  const body = (await res
    .clone()
    .json()
    .catch(() => null)) as {
    status?: string
    reason?: string
    error?: { code?: string }
  } | null
  if (res.status === 200) {
    if (body?.reason === 'duplicate') return 'duplicate'
    return body?.status === 'ok' ? 'ok' : 'ignored'
  }
  // A 400 comes only after the signature verified: recorded as an invalid delivery.
  return res.status === 400 ? 'invalid' : 'bad_request'
}

export const hookRoutes = new Hono<AppEnv>()

hookRoutes.use('/gitea', async (c, next) => {
  await next()
  const event = firstHeader((name) => c.req.header(name), EVENT_HEADERS)
  c.var.metrics.webhookDeliveries.inc({
    event:
      event === undefined || event === '' ? 'none' : COUNTED_EVENTS.has(event) ? event : 'other',
    outcome: await outcomeOf(c.res),
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

  const body = await readBody(c.req.raw, MAX_WEBHOOK_BYTES)
  const get = (name: string) => c.req.header(name)
  const { content: signed, supported } = signedContent(c.req.header('content-type') ?? '', body)
  if (!verifySignature(secret, signed, providedSignature(get))) {
    throw new ApiError(401, 'UNAUTHORIZED', 'missing or invalid webhook signature')
  }

  const event = firstHeader(get, EVENT_HEADERS)
  const deliveryId =
    firstHeader(get, [
      'x-gitea-delivery',
      'x-forgejo-delivery',
      'x-gogs-delivery',
      'x-github-delivery',
    ]) ?? null
  const delivery: DeliveryInput = {
    deliveryId: deliveryId?.slice(0, 128) ?? null,
    event: event?.slice(0, 64) ?? '(none)',
    outcome: 'invalid',
  }

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
    json = JSON.parse(typeof signed === 'string' ? signed : Buffer.from(signed).toString('utf8'))
  } catch {
    deps.index.deliveries.record({ ...delivery, reason: 'malformed JSON' })
    throw new ApiError(400, 'MALFORMED_JSON', 'the body is not valid JSON')
  }
  if (!event) {
    deps.index.deliveries.record({ ...delivery, reason: 'no event header' })
    throw new ApiError(400, 'BAD_REQUEST', 'missing X-Gitea-Event header')
  }

  const answer = deps.index.transaction((): Answer => {
    if (delivery.deliveryId && deps.index.deliveries.seen(delivery.deliveryId)) {
      deps.index.deliveries.record({
        ...delivery,
        outcome: 'duplicate',
        reason: 'delivery id already handled',
      })
      return { status: 200, body: { status: 'ignored', reason: 'duplicate' } }
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
    const reason =
      event === 'create' || event === 'delete' ? `${event} event` : `event ${event} is not used`
    deps.index.deliveries.record({
      ...delivery,
      repo: other.data.repository?.full_name ?? null,
      ref: other.data.ref ?? null,
      outcome: 'ignored',
      reason,
    })
    return { status: 200, body: { status: 'ignored', reason } }
  })
  if ('error' in answer) throw answer.error
  return c.json(answer.body, answer.status)
})
