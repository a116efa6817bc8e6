// POST /hooks/gitea (DESIGN.md "Webhook receiver"): raw body ≤ 1 MiB, HMAC verified in constant
// time, push → refresh queued. One SQLite transaction and no Gitea call: answers in milliseconds.
import { Hono } from 'hono'
import type { AppDeps, AppEnv } from '../app.js'
import type { DeliveryInput } from '../db/index.js'
import { providedSignature, verifySignature } from '../gitea/signature.js'
import { otherPayloadSchema, pushPayloadSchema, ZERO_SHA } from '../gitea/webhook-payload.js'
import { ApiError } from '../http-errors.js'

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
function signedContent(contentType: string, body: Uint8Array): string | Uint8Array {
  const type = contentType.split(';')[0]!.trim().toLowerCase()
  if (type === 'application/json' || type === '') return body
  if (type === 'application/x-www-form-urlencoded') {
    return new URLSearchParams(Buffer.from(body).toString('utf8')).get('payload') ?? ''
  }
  throw new ApiError(
    400,
    'UNSUPPORTED_MEDIA_TYPE',
    'expected application/json or application/x-www-form-urlencoded',
  )
}

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
      }).job,
  )
  deps.index.deliveries.record({ ...base, outcome: 'queued', jobIds: jobs.map((j) => j.id) })
  for (const job of jobs) deps.onEnqueued?.(job)
  return { status: 202, body: { status: 'queued' } }
}

export const hookRoutes = new Hono<AppEnv>().post('/gitea', async (c) => {
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
  const signed = signedContent(c.req.header('content-type') ?? '', body)
  if (!verifySignature(secret, signed, providedSignature(get))) {
    throw new ApiError(401, 'UNAUTHORIZED', 'missing or invalid webhook signature')
  }

  const event = firstHeader(get, [
    'x-gitea-event',
    'x-forgejo-event',
    'x-gogs-event',
    'x-github-event',
  ])
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
