// The webhook's `create` and `delete` events (Gitea's notifier, services/webhook). A new branch
// arrives as a push whose `before` is the zero id, plus a `create` event: the push does the work,
// the `create` is recorded only. A deleted branch arrives only as a `delete` event (Gitea sends no
// push for it): every template tracking that branch keeps serving its last good bundle and is
// marked "branch deleted" until the branch is pushed again (db/branch-state.ts).
import type { DeliveryInput, Index } from '../db/index.js'

export interface RefEvent {
  repo: string | null
  ref: string | null
  refType: string | null
}

/** Reason given for a deleted tracked branch, and recorded with its delivery. */
export const BRANCH_DELETED_REASON = 'branch deleted; the last good bundle keeps serving'

/**
 * Records a `create`, `delete` or other non-push delivery; for the deletion of a tracked branch,
 * marks each template tracking it. Returns the reason the answer gives (the answer is 200
 * `ignored` in every case: nothing is fetched).
 */
export function handleRefEvent(
  index: Index,
  delivery: DeliveryInput,
  event: string,
  payload: RefEvent,
  now: number,
): string {
  let reason =
    event === 'create' || event === 'delete' ? `${event} event` : `event ${event} is not used`
  if (event === 'delete' && payload.refType === 'branch' && payload.repo && payload.ref) {
    const tracking = index.templates.tracking(payload.repo, payload.ref)
    for (const t of tracking)
      index.branches.markDeleted(t.name, payload.ref, delivery.deliveryId, now)
    if (tracking.length > 0) reason = BRANCH_DELETED_REASON
  }
  index.deliveries.record(
    {
      ...delivery,
      repo: payload.repo,
      ref: payload.ref,
      outcome: 'ignored',
      reason,
    },
    now,
  )
  return reason
}
