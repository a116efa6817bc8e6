// What a verified delivery does, in the caller's transaction: de-duplicate it by delivery id,
// queue a refresh of every template tracking a pushed branch, and record every delivery with its
// outcome (docs/api.md#webhook--post-hooksgitea). No Gitea call and no HTTP here: the route maps a
// decision to its status.
import type { DeliveryInput, Index, JobRow } from '../db/index.js'
import type { Logger } from '../log.js'
import type { WebhookOutcome } from '../metrics.js'
import { otherPayloadSchema, pushFields, pushPayloadSchema } from './payload.js'
import { handleRefEvent } from './ref-events.js'

/** What to answer; `invalid` is raised after the transaction commits, so the delivery record stays. */
export type Decision =
  | {
      answer: 'queued' | 'ok' | 'ignored'
      reason?: string
      outcome: WebhookOutcome
      /** Jobs queued or joined: the worker pool is woken once they are committed. */
      jobs?: JobRow[]
    }
  | { invalid: string }

/** Decides what a verified delivery of `event` with payload `json` does, and records it. */
export function receiveDelivery(
  index: Index,
  delivery: DeliveryInput,
  event: string,
  json: unknown,
  now: number,
): Decision {
  if (delivery.deliveryId && index.deliveries.seen(delivery.deliveryId)) {
    index.deliveries.record(
      {
        ...delivery,
        outcome: 'duplicate',
        reason: 'delivery id already handled',
      },
      now,
    )
    return { answer: 'ignored', reason: 'duplicate', outcome: 'duplicate' }
  }
  if (event === 'push') return handlePush(index, delivery, json, now)
  const other = otherPayloadSchema.safeParse(json)
  if (!other.success) {
    index.deliveries.record({ ...delivery, reason: `${event} payload fails the schema` }, now)
    return { invalid: `${event} payload: ${other.error.issues[0]?.message}` }
  }
  const reason = handleRefEvent(
    index,
    delivery,
    event,
    {
      repo: other.data.repository?.full_name ?? null,
      ref: other.data.ref ?? null,
      refType: typeof other.data.ref_type === 'string' ? other.data.ref_type : null,
    },
    now,
  )
  return { answer: 'ignored', reason, outcome: 'ignored' }
}

/** Best effort: the database that just failed the delivery may fail this too (then it is logged). */
export function recordFailed(
  deps: { index: Index; logger: Logger; now: () => number },
  delivery: DeliveryInput,
  err: unknown,
): void {
  const code = (err as { code?: unknown }).code
  const reason = `internal error${typeof code === 'string' ? ` (${code})` : ''}`
  try {
    deps.index.deliveries.record({ ...delivery, outcome: 'failed', reason }, deps.now())
  } catch (recordErr) {
    deps.logger.error(
      { deliveryId: delivery.deliveryId, err: recordErr },
      'could not record a failed webhook delivery',
    )
  }
}

function handlePush(index: Index, delivery: DeliveryInput, json: unknown, now: number): Decision {
  const parsed = pushPayloadSchema.safeParse(pushFields(json))
  if (!parsed.success) {
    index.deliveries.record(
      {
        ...delivery,
        outcome: 'invalid',
        reason: 'push payload fails the schema',
      },
      now,
    )
    const issue = parsed.error.issues[0]
    return { invalid: `push payload: ${issue?.path.join('.')}: ${issue?.message}` }
  }
  const p = parsed.data
  const repo = p.repository.full_name
  const ref = p.ref.startsWith('refs/heads/') ? p.ref.slice('refs/heads/'.length) : null
  const base = { ...delivery, repo, ref: ref ?? p.ref, before: p.before, after: p.after }
  const ignore = (reason: string): Decision => {
    index.deliveries.record({ ...base, outcome: 'ignored', reason }, now)
    return { answer: 'ignored', reason, outcome: 'ignored' }
  }
  if (p.ref.startsWith('refs/tags/')) return ignore('tag push')
  if (ref === null) return ignore('not a branch')
  if (p.before === p.after) {
    // Gitea's "Test Delivery": before and after the same id, the zero id of the repository's
    // object format in Gitea 1.24 and later (40 or 64 zeros), the default branch's head in older
    // ones. Gitea sends it only when the hook's branch filter admits the default branch; no real
    // push has it.
    index.deliveries.record({ ...base, outcome: 'ok', reason: 'test delivery' }, now)
    return { answer: 'ok', outcome: 'ok' }
  }
  // A push with the zero `before` created the branch; Gitea sends no push for a deletion (that
  // is the `delete` event), so a zero `after` is no special case: the job asks for the head.
  const templates = index.templates.tracking(repo, ref)
  // The branch exists: a deletion recorded for it no longer holds.
  for (const t of templates) index.branches.clear(t.name)
  if (templates.length === 0) {
    const known = index.templates
      .all()
      .some((t) => t.removedAt === null && t.repo?.toLowerCase() === repo.toLowerCase())
    return ignore(known ? `untracked ref ${ref}` : 'untracked repository')
  }
  // The same push delivered twice (two hooks, a replay): the latest handled push already had it.
  if (index.deliveries.lastPushAfter(repo, ref) === p.after) {
    index.deliveries.record(
      {
        ...base,
        outcome: 'duplicate',
        reason: 'same repository, ref and after',
      },
      now,
    )
    return { answer: 'ignored', reason: 'duplicate', outcome: 'duplicate' }
  }
  const jobs = templates.map(
    (t) =>
      index.jobs.enqueue(
        {
          template: t.name,
          trigger: 'webhook',
          deliveryId: delivery.deliveryId,
          settleMs: PUSH_SETTLE_MS,
          settleMaxMs: PUSH_SETTLE_MAX_MS,
        },
        now,
      ).job,
  )
  index.deliveries.record({ ...base, outcome: 'queued', jobIds: jobs.map((j) => j.id) }, now)
  return { answer: 'queued', outcome: 'queued', jobs }
}

/**
 * A push that arrives while its template is being fetched means the branch is moving: the next
 * fetch waits until pushes have been quiet this long (at most the cap after it was queued), so a
 * burst of pushes costs two downloads, not one per push. A lone push is fetched at once.
 */
const PUSH_SETTLE_MS = 300
const PUSH_SETTLE_MAX_MS = 10_000
