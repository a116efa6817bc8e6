// The bytes of webhook bodies held in memory at once. A delivery is read whole, then decoded and
// parsed (two to three times its size until it is answered), and Gitea sends big pushes
// concurrently; without a bound, memory grows with every delivery in flight. Each delivery
// reserves its declared length (the most it may read when it declares none) before reading, and
// waits its turn, first come first served, while the budget is spent. One that cannot start
// within half the body timeout is answered 503 WEBHOOK_BUSY, its body unread; the reconciler still
// picks its push up from the branch head.
import { ApiError } from '../errors.js'

/** The smallest budget: a few typical deliveries at once, whatever the per-delivery limit. */
export const WEBHOOK_BUDGET_MIN_BYTES = 32 * 1024 * 1024

interface Waiter {
  bytes: number
  grant: () => void
}

export class BodyBudget {
  readonly capacity: number
  #used = 0
  readonly #waiting: Waiter[] = []

  /** `capacity` is raised to `largest` so that a single body of the largest size always fits. */
  constructor(capacity: number, largest: number) {
    this.capacity = Math.max(capacity, largest)
  }

  get used(): number {
    return this.#used
  }

  /**
   * Reserves `bytes` (at most the capacity); resolves with the function that gives them back,
   * once. Rejects with WEBHOOK_BUSY when they are not granted within `waitMs`.
   */
  reserve(bytes: number, waitMs: number): Promise<() => void> {
    const want = Math.min(Math.max(0, bytes), this.capacity)
    let released = false
    const release = () => {
      if (released) return
      released = true
      this.#used -= want
      this.#grantWaiting()
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const at = this.#waiting.indexOf(waiter)
        if (at !== -1) this.#waiting.splice(at, 1)
        // A waiter that leaves may let a smaller one behind it start.
        this.#grantWaiting()
        reject(
          new ApiError(
            'WEBHOOK_BUSY',
            `too many webhook bytes in flight; not started within ${waitMs} ms`,
            { 'Retry-After': '1' },
          ),
        )
      }, waitMs)
      const waiter: Waiter = {
        bytes: want,
        grant: () => {
          clearTimeout(timer)
          resolve(release)
        },
      }
      // Every reserve queues; one that fits behind nobody is granted at once, here.
      this.#waiting.push(waiter)
      this.#grantWaiting()
    })
  }

  /** Grants waiters in arrival order while the next one fits. */
  #grantWaiting(): void {
    while (this.#waiting.length > 0) {
      const next = this.#waiting[0]!
      if (this.#used + next.bytes > this.capacity) return
      this.#waiting.shift()
      this.#used += next.bytes
      next.grant()
    }
  }
}
