// Start-up convergence: a replica that starts (new, or restarted after missing pushes) is not
// ready until the reconciler has looked at every tracked template once and each refresh that pass
// queued has run at least once. Until then it may serve an older digest than its peers; behind a
// load balancer that reads /readyz it takes no provisioner traffic meanwhile. A branch lookup that
// fails (Gitea down) does not hold readiness back: there is nothing newer to converge to, and the
// replica serves what it has, as its peers do. With fetching off there is nothing to wait for.
import type { Index } from '../db/index.js'
import type { ReconcileReport } from './reconciler.js'

export class StartupConvergence {
  readonly #index: Index
  #pass: ReconcileReport | null = null
  #done: boolean

  /** `firstPass` is the reconciler's first pass; null when fetching is off. */
  constructor(index: Index, firstPass: Promise<ReconcileReport> | null) {
    this.#index = index
    this.#done = firstPass === null
    void firstPass?.then(
      (report) => {
        this.#pass = report
      },
      () => {
        // A pass that threw checked nothing: nothing newer is known; do not hold readiness back.
        this.#done = true
      },
    )
  }

  /** Jobs of the first pass that have not run yet (queued and never attempted, or running). */
  #waiting(): number[] {
    if (this.#pass === null) return []
    return this.#pass.jobIds.filter((id) => {
      const job = this.#index.jobs.get(id)
      return (
        job !== null && (job.state === 'running' || (job.state === 'queued' && job.attempts === 0))
      )
    })
  }

  converged(): boolean {
    if (this.#done) return true
    if (this.#pass === null) return false
    this.#done = this.#waiting().length === 0
    return this.#done
  }

  detail(): Record<string, unknown> {
    if (this.converged()) return {}
    if (this.#pass === null) return { reconciled: false }
    return { reconciled: true, waitingJobs: this.#waiting().length }
  }
}
