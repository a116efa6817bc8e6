// Fault injection for the fake Gitea: what goes wrong, on which route and repo, how many times.

export type RouteKind = 'branch' | 'archive'

export type Fault =
  /** 500 with a JSON body. */
  | { kind: 'status500' }
  /** 429 with `Retry-After: <seconds>` (what a rate-limiting proxy in front of Gitea answers). */
  | { kind: 'status429'; retryAfterSeconds: number }
  /** Nothing at all (no status line) for `ms`, then the normal answer: a headers timeout. */
  | { kind: 'delay'; ms: number }
  /**
   * Nothing at all until `until` settles, then the normal answer: a test changes Gitea's state
   * (force-push, prune) between the request's arrival and Gitea's look at it, without a race.
   */
  | { kind: 'hold'; until: Promise<unknown> }
  /** Status and headers at once, then `ms` of silence before the first body byte: an idle body. */
  | { kind: 'slowFirstByte'; ms: number }
  /** The body in pieces of `bytesPerChunk`, one every `intervalMs`. */
  | { kind: 'drip'; bytesPerChunk: number; intervalMs: number }
  /**
   * A 200 whose body stops after `afterBytes`. `destroy`: the socket is destroyed, so the
   * chunked encoding never terminates. `clean`: the chunked response ends properly after
   * the prefix, as a truncated 200 looks after passing through a buffering proxy.
   */
  | { kind: 'truncate'; afterBytes: number; ending: 'destroy' | 'clean' }
  /** The connection is accepted and never answered. */
  | { kind: 'hang' }
  /** Another commit is served for the requested one (default: its first parent). */
  | { kind: 'wrongCommit'; commit?: string }
  /** The socket is closed as soon as the request arrives. */
  | { kind: 'refuse' }
  /** 401 as Gitea's apiAuth answers an invalid, revoked or expired token (whatever the repo). */
  | { kind: 'status401' }
  /** 403 as tokenRequiresScopes answers a token without read:repository. */
  | { kind: 'status403' }
  /**
   * The repository was renamed or transferred to `to` (`owner/name`): repoAssignment's
   * RedirectToRepo answers `status` (301 since Gitea 1.23.7 and Forgejo 12, 307 before) with a
   * host-relative Location, the request path with the old owner/name replaced.
   */
  | { kind: 'moved'; to: string; status: 301 | 307 }

export type FaultKind = Fault['kind']

/** Fault constructors, for readable tests: `gitea.faults.inject('archive', fault.status500())`. */
export const fault = {
  status500: (): Fault => ({ kind: 'status500' }),
  status429: (retryAfterSeconds = 1): Fault => ({ kind: 'status429', retryAfterSeconds }),
  delay: (ms: number): Fault => ({ kind: 'delay', ms }),
  hold: (until: Promise<unknown>): Fault => ({ kind: 'hold', until }),
  slowFirstByte: (ms: number): Fault => ({ kind: 'slowFirstByte', ms }),
  drip: (bytesPerChunk: number, intervalMs: number): Fault => ({
    kind: 'drip',
    bytesPerChunk,
    intervalMs,
  }),
  truncate: (afterBytes: number): Fault => ({ kind: 'truncate', afterBytes, ending: 'destroy' }),
  truncateClean: (afterBytes: number): Fault => ({ kind: 'truncate', afterBytes, ending: 'clean' }),
  hang: (): Fault => ({ kind: 'hang' }),
  wrongCommit: (commit?: string): Fault => ({ kind: 'wrongCommit', commit }),
  refuse: (): Fault => ({ kind: 'refuse' }),
  status401: (): Fault => ({ kind: 'status401' }),
  status403: (): Fault => ({ kind: 'status403' }),
  moved: (to: string, status: 301 | 307 = 301): Fault => ({ kind: 'moved', to, status }),
} as const

export interface InjectOptions {
  /** Only requests for this repository (`owner/name`, case-insensitive). */
  repo?: string
  /** Only the next `times` matching requests; default: until cleared. */
  times?: number
}

export interface FaultRule {
  readonly id: number
  readonly route: RouteKind | 'any'
  readonly repo: string | null
  readonly fault: Fault
  /** Requests this rule still applies to (Infinity until cleared). */
  remaining: number
  applied: number
}

export interface FaultHandle {
  readonly rule: FaultRule
  clear(): void
}

/** The active rules. The oldest matching rule wins, and each match uses up one of its `times`. */
export class FaultBook {
  #rules: FaultRule[] = []
  #nextId = 1

  inject(route: RouteKind | 'any', injected: Fault, options: InjectOptions = {}): FaultHandle {
    const times = options.times ?? Number.POSITIVE_INFINITY
    if (!(times > 0)) throw new Error(`times must be positive, got ${times}`)
    const rule: FaultRule = {
      id: this.#nextId++,
      route,
      repo: options.repo?.toLowerCase() ?? null,
      fault: injected,
      remaining: times,
      applied: 0,
    }
    this.#rules.push(rule)
    return { rule, clear: () => this.#remove(rule) }
  }

  /** Removes every rule, or only those registered for `route`. */
  clear(route?: RouteKind | 'any'): void {
    this.#rules = route === undefined ? [] : this.#rules.filter((rule) => rule.route !== route)
  }

  get active(): readonly FaultRule[] {
    return this.#rules
  }

  /** The fault for this request, if any; consumes one use of the matching rule. */
  take(route: RouteKind, repoFullName: string): Fault | null {
    const repo = repoFullName.toLowerCase()
    const rule = this.#rules.find(
      (candidate) =>
        (candidate.route === 'any' || candidate.route === route) &&
        (candidate.repo ?? repo) === repo,
    )
    if (!rule) return null
    rule.applied++
    rule.remaining--
    if (rule.remaining <= 0) this.#remove(rule)
    return rule.fault
  }

  #remove(rule: FaultRule): void {
    this.#rules = this.#rules.filter((candidate) => candidate !== rule)
  }
}
