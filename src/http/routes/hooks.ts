// POST /hooks/gitea (docs/api.md#webhook--post-hooksgitea): raw body within ASSET_CACHE_WEBHOOK_MAX_BODY and a deadline, HMAC verified
// in constant time, then webhooks/receive.ts decides in a transaction. No Gitea call, and one
// SQLite transaction per turn of the event loop (group commit) whatever the number of
// deliveries: answers in milliseconds.
import { Hono } from 'hono'
import { cappedText } from '../../capped-text.js'
import { UnsyncedCommit } from '../../db/group-commit.js'
import { DELIVERY_TEXT_BYTES, type DeliveryInput, storedDeliveryId } from '../../db/index.js'
import type { WebhookOutcome } from '../../metrics.js'
import { FORWARDED_HEADER, forwardedHeaders } from '../../peers/index.js'
import {
  DELIVERY_HEADERS,
  EVENT_HEADERS,
  firstHeader,
  signedContent,
  utf8,
} from '../../webhooks/headers.js'
import { type Decision, receiveDelivery, recordFailed } from '../../webhooks/receive.js'
import { providedSignature, verifySignature } from '../../webhooks/signature.js'
import type { AppEnv } from '../env.js'
import { ApiError } from '../errors.js'
import { readBody } from '../middleware/body.js'
import { CLIENT_CLOSED } from '../middleware/connection-lost.js'
import { webhookBodyBudget } from '../middleware/webhook-budget.js'
import { otherPayloadSchema, pushPayloadSchema } from '../openapi/requests.js'
import { webhookAnswer } from '../openapi/responses.js'
import { error, json, type RouteSpec } from '../openapi/route-spec.js'

/** The route's own context variable: what the handler decided, for the delivery counter. */
interface HookEnv extends AppEnv {
  Variables: AppEnv['Variables'] & {
    webhook?: { event: string | undefined; outcome?: WebhookOutcome }
  }
}

/** Event label values: the header is the sender's, so anything else is `other` (bounded). */
const COUNTED_EVENTS = new Set(['push', 'create', 'delete', 'ping', 'release', 'repository'])

/**
 * The outcome of an answer the handler did not label: a refusal raised before a delivery was
 * recorded (401, 413, 503), a 400 after the signature verified (recorded as invalid), a body the
 * sender did not finish in time (408) or abandoned (499), or anything else (an internal error,
 * another method).
 */
function outcomeOfStatus(status: number, enabled: boolean): WebhookOutcome {
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
      // With a secret, the one 503 is the body budget's WEBHOOK_BUSY.
      return enabled ? 'busy' : 'disabled'
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
    outcome: decided?.outcome ?? outcomeOfStatus(c.res.status, !!c.var.deps.config.webhookSecret),
  })
})

hookRoutes.post('/gitea', webhookBodyBudget, async (c) => {
  const deps = c.var.deps
  const secret = deps.config.webhookSecret
  if (!secret)
    throw new ApiError(
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
    throw new ApiError('UNAUTHORIZED', 'missing or invalid webhook signature')
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
    deps.index.deliveries.record({ ...delivery, reason: 'unsupported content type' }, deps.now())
    throw new ApiError(
      'UNSUPPORTED_MEDIA_TYPE',
      'expected application/json or application/x-www-form-urlencoded',
    )
  }
  let json: unknown
  try {
    json = JSON.parse(typeof signed === 'string' ? signed : utf8(signed))
  } catch {
    deps.index.deliveries.record({ ...delivery, reason: 'malformed JSON' }, deps.now())
    throw new ApiError('MALFORMED_JSON', 'the body is not valid JSON')
  }
  if (!event) {
    deps.index.deliveries.record({ ...delivery, reason: 'no event header' }, deps.now())
    throw new ApiError('BAD_REQUEST', 'missing X-Gitea-Event header')
  }

  const answer = await deps.index.groupCommit
    .run<Decision>(() => receiveDelivery(deps.index, delivery, event, json, deps.now()))
    .catch((err: unknown) => {
      // Its savepoint (or the whole batch) rolled back. Gitea will not retry: leave a record of
      // it for admins (the reconciler still picks the push up from the branch head), then 500.
      c.set('webhook', { event, outcome: 'failed' })
      // An unsynced commit already holds the delivery's row (and its job): nothing to add.
      if (!(err instanceof UnsyncedCommit)) recordFailed(deps, delivery, err)
      throw err
    })
  if ('invalid' in answer) throw new ApiError('INVALID_PAYLOAD', answer.invalid)
  c.set('webhook', { event, outcome: answer.outcome })
  // Once, to every peer: only a delivery that queued work here, and never one a peer forwarded.
  if (answer.outcome === 'queued' && deps.peers && get(FORWARDED_HEADER) === undefined) {
    deps.peers.forwarder.forward(body, forwardedHeaders(get), delivery.deliveryId)
  }
  for (const job of answer.jobs ?? []) {
    try {
      deps.onEnqueued?.(job)
    } catch (err) {
      // The job is committed: the pool finds it on its next poll.
      deps.logger.error({ jobId: job.id, err }, 'could not wake the worker pool')
    }
  }
  const reply = { status: answer.answer, ...(answer.reason ? { reason: answer.reason } : {}) }
  return c.json(reply, answer.answer === 'queued' ? 202 : 200)
})

/** The form Gitea sends when the webhook's content type is `application/x-www-form-urlencoded`. */
const webhookForm = {
  schema: {
    type: 'object',
    properties: {
      payload: {
        type: 'string',
        description: 'the JSON payload; the signature covers this string',
      },
    },
    required: ['payload'],
  },
}

export const hookOperations: readonly RouteSpec[] = [
  {
    method: 'post',
    path: '/hooks/gitea',
    operationId: 'receiveGiteaWebhook',
    summary: 'Gitea push webhook',
    description:
      'Raw body at most `ASSET_CACHE_WEBHOOK_MAX_BODY` (default 25 MiB). The event comes from `X-Gitea-Event` (or the Forgejo, Gogs and ' +
      'GitHub equivalents), the delivery id from `X-Gitea-Delivery`. `push` payloads are checked ' +
      'against GiteaPushPayload, other events against GiteaEventPayload. A push to a tracked ' +
      'branch queues a refresh (202); Test Delivery (`before` == `after`) answers `ok`; tags, ' +
      'deletions, other events, untracked repositories or refs and duplicates are `ignored`.',
    tag: 'webhook',
    security: 'webhook',
    body: {
      schema: [pushPayloadSchema, otherPayloadSchema],
      required: true,
      also: { 'application/x-www-form-urlencoded': webhookForm },
    },
    responses: {
      200: json('test delivery (`ok`) or ignored, with the reason', webhookAnswer),
      202: json('a refresh was queued', webhookAnswer),
      400: error(
        'unsupported content type, malformed JSON, a payload failing the schema, no event header',
        'UNSUPPORTED_MEDIA_TYPE',
        'MALFORMED_JSON',
        'INVALID_PAYLOAD',
        'BAD_REQUEST',
      ),
      401: error('missing, empty or wrong signature; nothing recorded', 'UNAUTHORIZED'),
      413: error('body over `ASSET_CACHE_WEBHOOK_MAX_BODY`', 'PAYLOAD_TOO_LARGE'),
      500: error(
        'the index refused the write (recorded `failed` when it can be; a redelivery is handled afresh), or committed it but could not fsync it',
        'INTERNAL',
      ),
      503: error(
        'no webhook secret is configured, or too many webhook bytes are in flight (not read; `Retry-After`)',
        'WEBHOOK_DISABLED',
        'WEBHOOK_BUSY',
      ),
    },
  },
]
