import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { JobRow } from '../../src/db/index.js'
import { AppError } from '../../src/errors.js'
import { WorkerPool } from '../../src/jobs/worker-pool.js'
import { createLogger, silentLogger } from '../../src/log.js'
import type { Runtime } from '../../src/runtime.js'
import { testRuntime } from '../support/runtime.js'
import { until } from '../support/wait.js'

let rt: Runtime
beforeEach(async () => {
  rt = await testRuntime([
    { name: 'a', repo: 'acme/a' },
    { name: 'b', repo: 'acme/b' },
    { name: 'c', repo: 'acme/c' },
  ])
})
afterEach(() => rt.close())

describe('queue', () => {
  it('keeps at most one queued and one running job per template', () => {
    const q = rt.index.jobs
    const first = q.enqueue({ template: 'a', trigger: 'webhook', deliveryId: 'd1' }, Date.now())
    expect(first.created).toBe(true)
    expect(q.enqueue({ template: 'a', trigger: 'webhook' }, Date.now()).created).toBe(false)
    const claimed = q.claim(Date.now())!
    expect(claimed.id).toBe(first.job.id)
    expect(claimed.attempts).toBe(1)
    // While it runs, a new push queues one more (its head may be newer) and no more than one.
    const second = q.enqueue({ template: 'a', trigger: 'webhook' }, Date.now())
    expect(second.created).toBe(true)
    expect(q.enqueue({ template: 'a', trigger: 'reconcile' }, Date.now()).created).toBe(false)
    // The queued one cannot run beside the running one.
    expect(q.claim(Date.now())).toBeNull()
    q.complete(claimed.id, { result: 'ready' }, Date.now())
    expect(q.claim(Date.now())?.id).toBe(second.job.id)
    expect(q.depth()).toEqual({ queued: 0, running: 1 })
  })

  it('promotes a queued job when a forced refresh joins it', () => {
    const q = rt.index.jobs
    const { job } = q.enqueue({ template: 'a', trigger: 'reconcile' }, Date.now())
    q.enqueue({ template: 'a', trigger: 'admin', force: true }, Date.now())
    expect(q.get(job.id)?.force).toBe(true)
  })

  it('lets a moving branch settle: a burst waits for quiet, a lone push runs at once', () => {
    const q = rt.index.jobs
    const settle = { settleMs: 500, settleMaxMs: 5_000 }
    const t0 = 1_000_000
    // Nothing running: the first push runs at once.
    const first = q.enqueue({ template: 'a', trigger: 'webhook', ...settle }, t0)
    expect(first.job.runAfter).toBe(t0)
    q.claim(t0)
    // A push while it is fetched waits for the branch to be quiet …
    const second = q.enqueue({ template: 'a', trigger: 'webhook', ...settle }, t0 + 10)
    expect(second.job.runAfter).toBe(t0 + 510)
    // … and each further push moves that point on …
    const third = q.enqueue({ template: 'a', trigger: 'webhook', ...settle }, t0 + 400)
    expect(third.created).toBe(false)
    expect(q.get(second.job.id)!.runAfter).toBe(t0 + 900)
    // … but never past the cap from when it was queued.
    q.enqueue({ template: 'a', trigger: 'webhook', ...settle }, t0 + 6_000)
    expect(q.get(second.job.id)!.runAfter).toBe(t0 + 10 + 5_000)
    // A reconcile (no settle) does not delay it; a forced refresh makes it run now.
    q.enqueue({ template: 'a', trigger: 'reconcile' }, t0 + 6_001)
    expect(q.get(second.job.id)!.runAfter).toBe(t0 + 5_010)
    q.enqueue({ template: 'a', trigger: 'admin', force: true }, t0 + 6_002)
    expect(q.get(second.job.id)!.runAfter).toBe(t0 + 5_010)
    // Another template is not affected.
    expect(q.enqueue({ template: 'b', trigger: 'webhook', ...settle }, t0 + 20).job.runAfter).toBe(
      t0 + 20,
    )
  })

  it('runs a retry waiting out its backoff as soon as a push or a reconcile joins it', () => {
    const q = rt.index.jobs
    const t0 = 2_000_000
    const { job } = q.enqueue({ template: 'a', trigger: 'reconcile' }, t0)
    q.claim(t0)
    q.retry(job.id, t0 + 60_000, 'GITEA_UNAVAILABLE', 'down', t0 + 5)
    expect(q.get(job.id)!.runAfter).toBe(t0 + 60_000)
    q.enqueue({ template: 'a', trigger: 'webhook', settleMs: 300 }, t0 + 1_000)
    expect(q.get(job.id)!.runAfter).toBe(t0 + 1_300)
    q.enqueue({ template: 'a', trigger: 'reconcile' }, t0 + 1_100)
    expect(q.get(job.id)!.runAfter).toBe(t0 + 1_100)
  })

  it('re-queues jobs found running at start-up, once per template', () => {
    const q = rt.index.jobs
    q.enqueue({ template: 'a', trigger: 'webhook' }, Date.now())
    q.enqueue({ template: 'b', trigger: 'webhook' }, Date.now())
    q.claim(Date.now())
    q.claim(Date.now())
    q.enqueue({ template: 'b', trigger: 'webhook' }, Date.now())
    expect(q.requeueRunning(Date.now())).toBe(1)
    expect(q.depth()).toEqual({ queued: 2, running: 0 })
    expect(q.list({ state: 'failed' })[0]).toMatchObject({
      template: 'b',
      lastErrorCode: 'INTERRUPTED',
    })
  })

  it('survives a reopen of the database', async () => {
    rt.index.jobs.enqueue({ template: 'a', trigger: 'webhook' }, Date.now())
    rt.close()
    const { openRuntime } = await import('../../src/runtime.js')
    rt = await openRuntime(rt.config)
    expect(rt.index.jobs.depth().queued).toBe(1)
  })
})

describe('worker pool', () => {
  it('runs jobs with bounded concurrency, never two of one template at once', async () => {
    let active = 0
    let peak = 0
    const perTemplate = new Map<string, number>()
    const pool = new WorkerPool({
      index: rt.index,
      logger: silentLogger,
      now: rt.now,
      concurrency: 2,
      run: async (job) => {
        active++
        peak = Math.max(peak, active)
        perTemplate.set(job.template, (perTemplate.get(job.template) ?? 0) + 1)
        expect(perTemplate.get(job.template)).toBe(1)
        await new Promise((r) => setTimeout(r, 20))
        perTemplate.set(job.template, perTemplate.get(job.template)! - 1)
        active--
        return { ok: true }
      },
    })
    for (const t of ['a', 'b', 'c'])
      rt.index.jobs.enqueue({ template: t, trigger: 'webhook' }, Date.now())
    pool.start()
    await until(() => rt.index.jobs.list({ state: 'done' }).length === 3)
    await pool.stop()
    expect(peak).toBe(2)
  })

  it('retries a failed job with backoff, then leaves it failed with its last error', async () => {
    const runs: number[] = []
    const pool = new WorkerPool({
      index: rt.index,
      logger: silentLogger,
      now: rt.now,
      maxAttempts: 3,
      backoffBaseMs: 10,
      run: async (job: JobRow) => {
        runs.push(job.attempts)
        throw new AppError('GITEA_UNAVAILABLE', 'HTTP 503')
      },
    })
    const { job } = rt.index.jobs.enqueue({ template: 'a', trigger: 'webhook' }, Date.now())
    pool.start()
    await until(() => rt.index.jobs.get(job.id)?.state === 'failed')
    await pool.stop()
    expect(runs).toEqual([1, 2, 3])
    expect(rt.index.jobs.get(job.id)).toMatchObject({
      lastErrorCode: 'GITEA_UNAVAILABLE',
      lastError: 'HTTP 503',
    })
  })

  it('fails a permanent error at once', async () => {
    let runs = 0
    const pool = new WorkerPool({
      index: rt.index,
      logger: silentLogger,
      now: rt.now,
      isPermanent: () => true,
      run: async () => {
        runs++
        throw new AppError('GITEA_NOT_FOUND', '404')
      },
    })
    const { job } = rt.index.jobs.enqueue({ template: 'a', trigger: 'webhook' }, Date.now())
    pool.start()
    await until(() => rt.index.jobs.get(job.id)?.state === 'failed')
    await pool.stop()
    expect(runs).toBe(1)
  })

  it('on stop, lets a job finish within the grace period', async () => {
    const pool = new WorkerPool({
      index: rt.index,
      logger: silentLogger,
      now: rt.now,
      run: () => new Promise((r) => setTimeout(() => r({ ok: 1 }), 50)),
    })
    const { job } = rt.index.jobs.enqueue({ template: 'a', trigger: 'webhook' }, Date.now())
    pool.start()
    await until(() => rt.index.jobs.get(job.id)?.state === 'running')
    await pool.stop(5_000)
    expect(rt.index.jobs.get(job.id)?.state).toBe('done')
  })

  it('on stop past the grace period, aborts and re-queues the job', async () => {
    const pool = new WorkerPool({
      index: rt.index,
      logger: silentLogger,
      now: rt.now,
      run: (_job, signal) =>
        new Promise((_r, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    })
    const { job } = rt.index.jobs.enqueue({ template: 'a', trigger: 'webhook' }, Date.now())
    pool.start()
    await until(() => rt.index.jobs.get(job.id)?.state === 'running')
    await pool.stop(20)
    expect(rt.index.jobs.get(job.id)).toMatchObject({
      state: 'queued',
      lastErrorCode: 'INTERRUPTED',
    })
  })
})

describe('worker pool over an index that refuses writes', () => {
  /** A logger whose messages are kept, and the process-level crashes seen meanwhile. */
  function watched() {
    const messages: string[] = []
    const logger = createLogger('info', {
      write: (line: string) => {
        messages.push((JSON.parse(line) as { msg: string }).msg)
      },
    })
    const crashes: unknown[] = []
    const onCrash = (err: unknown) => crashes.push(err)
    process.on('uncaughtException', onCrash)
    process.on('unhandledRejection', onCrash)
    const unwatch = () => {
      process.off('uncaughtException', onCrash)
      process.off('unhandledRejection', onCrash)
    }
    return { logger, messages, crashes, unwatch }
  }
  const count = (messages: string[], text: string) => messages.filter((m) => m === text).length
  // SQLite itself refuses every write on this connection (SQLITE_READONLY), as a read-only or
  // full disk makes it refuse them.
  const refuseWrites = (on: boolean) => rt.index.db.pragma(`query_only = ${on ? 'ON' : 'OFF'}`)

  for (const outcome of ['done', 'retried', 'failed'] as const) {
    it(`keeps a run's outcome (${outcome}) it could not write, and writes it once the index takes writes`, async () => {
      const w = watched()
      let release!: () => void
      const gate = new Promise<void>((r) => {
        release = r
      })
      const pool = new WorkerPool({
        index: rt.index,
        logger: w.logger,
        now: rt.now,
        idlePollMs: 10,
        backoffBaseMs: 1,
        backoffMaxMs: 1,
        maxAttempts: outcome === 'failed' ? 1 : 5,
        run: async (job) => {
          await gate
          if (outcome !== 'done' && job.template === 'a') {
            throw new AppError('STORE_WRITE_FAILED', 'disk full')
          }
          return { result: 'ready' }
        },
      })
      rt.index.jobs.enqueue({ template: 'a', trigger: 'webhook' }, Date.now())
      pool.start()
      await until(() => rt.index.jobs.depth().running === 1)
      refuseWrites(true)
      release()
      // The outcome is refused, then every look at the queue: the pool keeps going.
      await until(() => count(w.messages, 'the job queue could not be written; trying again') >= 3)
      expect(count(w.messages, "could not record the job's outcome; will record it again")).toBe(1)
      // Not lost and not run twice: the row still says running.
      expect(rt.index.jobs.list({ state: 'running' }).map((j) => j.template)).toEqual(['a'])
      refuseWrites(false)
      rt.index.jobs.enqueue({ template: 'b', trigger: 'webhook' }, Date.now())
      pool.notify()
      await until(() => rt.index.jobs.list({ state: 'done' }).some((j) => j.template === 'b'))
      const a = rt.index.jobs.forTemplate('a', 5)
      if (outcome === 'done') expect(a.map((j) => j.state)).toEqual(['done'])
      if (outcome === 'failed')
        expect(a[0]).toMatchObject({ state: 'failed', lastErrorCode: 'STORE_WRITE_FAILED' })
      if (outcome === 'retried') expect(a[0]!.lastErrorCode).toBe('STORE_WRITE_FAILED')
      await pool.stop()
      w.unwatch()
      expect(w.crashes).toEqual([])
    })
  }

  it('a write refused for one job only never holds back the others', async () => {
    const w = watched()
    const pool = new WorkerPool({
      index: rt.index,
      logger: w.logger,
      now: rt.now,
      idlePollMs: 10,
      run: async () => ({ result: 'ready' }),
    })
    const a = rt.index.jobs.enqueue({ template: 'a', trigger: 'webhook' }, Date.now()).job
    // SQLite refuses to finish that one job's row, and only it, for as long as the trigger stays.
    rt.index.db.exec(
      `CREATE TRIGGER refuse_a BEFORE UPDATE OF state ON jobs
       WHEN OLD.id = ${a.id} AND NEW.state <> 'running'
       BEGIN SELECT RAISE(ABORT, 'refused'); END`,
    )
    pool.start()
    await until(
      () => count(w.messages, "could not record the job's outcome; will record it again") === 1,
    )
    for (const t of ['b', 'c'])
      rt.index.jobs.enqueue({ template: t, trigger: 'webhook' }, Date.now())
    pool.notify()
    await until(() => rt.index.jobs.list({ state: 'done' }).length === 2)
    expect(rt.index.jobs.get(a.id)?.state).toBe('running')
    rt.index.db.exec('DROP TRIGGER refuse_a')
    await until(() => rt.index.jobs.get(a.id)?.state === 'done')
    await pool.stop()
    w.unwatch()
    expect(w.crashes).toEqual([])
  })
})
