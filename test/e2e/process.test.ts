// `asset-cache serve` as a real process: SIGKILL mid-job loses nothing, SIGTERM drains.
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openIndex } from '../../src/db/index.js'
import { fault } from '../support/gitea/index.js'
import { type Stack, startStack } from '../support/stack.js'
import { until } from '../support/wait.js'

let stack: Stack

/** `asset-cache serve` over the stack's data dir, as a child process. */
const serve = async () => (await stack.serve()).process!

function snapshot() {
  const { repos } = stack
  const index = openIndex(join(stack.dataDir, 'index.db'))
  try {
    return {
      jobs: index.jobs.list({ limit: 1000 }),
      versions: repos.flatMap((_, i) => index.versions.list(`t${i}`)),
      current: repos.map((_, i) => {
        const t = index.templates.get(`t${i}`)
        return t?.currentVersionId ? index.versions.get(t.currentVersionId)?.commit : null
      }),
    }
  } finally {
    index.close()
  }
}

beforeEach(async () => {
  stack = await startStack({
    repos: [0, 1, 2].map((i) => ({ name: `t${i}`, files: { 'config.yaml': `n: ${i}\n` } })),
    tokens: { webhookSecret: 's' },
    child: true,
    serve: false,
  })
})

afterEach(async () => {
  await stack.stop()
})

describe('serve process', () => {
  it('loses no job when SIGKILLed while jobs run; the restart completes each exactly once', async () => {
    // Every archive drips slowly, so the kill lands while all three jobs are running.
    const { gitea, repos } = stack
    gitea.faults.inject('archive', fault.drip(64, 50), { times: 3 })
    const first = await serve()
    await until(() => gitea.requests.filter((r) => r.route === 'archive').length >= 3, {
      timeoutMs: 20_000,
    })
    first.child.kill('SIGKILL')
    await first.exited
    const interrupted = snapshot()
    expect(interrupted.jobs.filter((j) => j.state === 'running')).toHaveLength(3)

    const heads = await Promise.all(repos.map((r) => r.head()))
    const interruptedIds = interrupted.jobs.map((j) => j.id).sort()
    gitea.reset()
    const second = await serve()
    await until(
      () => {
        const s = snapshot()
        const settled = s.jobs.every((j) => j.state === 'done' || j.state === 'failed')
        return settled && JSON.stringify(s.current) === JSON.stringify(heads)
      },
      { timeoutMs: 30_000 },
    )
    const done = snapshot()
    expect(done.jobs.filter((j) => j.state === 'queued' || j.state === 'running')).toEqual([])
    // Each interrupted job ran again and completed once; later reconcile jobs found nothing to do.
    expect(done.jobs.filter((j) => interruptedIds.includes(j.id)).map((j) => j.state)).toEqual([
      'done',
      'done',
      'done',
    ])
    expect(gitea.counters.archiveDownloads).toBe(3)
    expect(done.versions).toHaveLength(3)
    expect(done.versions.every((v) => v.status === 'ready')).toBe(true)
    second.child.kill('SIGTERM')
    expect(await second.exited).toBe(0)
  }, 60_000)

  it('drains on SIGTERM: the running job finishes, the process exits 0', async () => {
    stack.gitea.faults.inject('archive', fault.drip(256, 20), {
      times: 1,
      repo: stack.repo.fullName,
    })
    const { child, exited } = await serve()
    await until(() => snapshot().jobs.some((j) => j.state === 'running'), { timeoutMs: 20_000 })
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    const after = snapshot()
    expect(after.jobs.filter((j) => j.state === 'running')).toEqual([])
    expect(after.jobs.filter((j) => j.state === 'done').length).toBeGreaterThanOrEqual(1)
  }, 60_000)
})
