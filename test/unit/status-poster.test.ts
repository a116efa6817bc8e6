// The commit status queue: retried with backoff on 5xx and network errors, bounded attempts,
// never retried on a refusal, nothing lost across a restart; descriptions short and printable.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { openIndex } from '../../src/db/index.js'
import { silentLogger } from '../../src/log.js'
import { createMetrics } from '../../src/metrics.js'
import { Secret } from '../../src/secret.js'
import {
  DESCRIPTION_MAX,
  describeVerdict,
  StatusPoster,
  type StatusPosterOptions,
} from '../../src/statuses/index.js'
import { testConfig } from '../support/runtime.js'
import { until } from '../support/wait.js'

const SHA = 'a'.repeat(40)
const TEMPLATE = { name: 'seo', repo: 'acme/seo' }

interface Received {
  path: string
  authorization: string | undefined
  body: Record<string, unknown>
}

let servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  servers = []
})

/** A Gitea stand-in answering each status POST with the next of `answers` (the last repeats). */
async function giteaAnswering(answers: number[]) {
  const received: Received[] = []
  const server = createServer((req, res) => {
    let data = ''
    req.on('data', (c) => {
      data += c
    })
    req.on('end', () => {
      received.push({
        path: req.url ?? '',
        authorization: req.headers.authorization,
        body: JSON.parse(data),
      })
      const status = answers[Math.min(received.length - 1, answers.length - 1)]!
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(status === 201 ? { id: received.length } : { message: 'nope' }))
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  servers.push(server)
  return { url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), received }
}

function poster(baseUrl: URL, file: string, extra: Partial<StatusPosterOptions> = {}) {
  const index = openIndex(file)
  const metrics = createMetrics()
  const p = new StatusPoster({
    index,
    baseUrl,
    token: new Secret('status-token'),
    publicUrl: null,
    logger: silentLogger,
    now: Date.now,
    metrics: metrics.statuses,
    backoffBaseMs: 5,
    backoffMaxMs: 20,
    ...extra,
  })
  return { p, index, metrics }
}

const dbFile = () => `${testConfig().dataDir}/index.db`

describe('status poster', () => {
  it('retries a 5xx with backoff and posts once Gitea answers 201', async () => {
    const gitea = await giteaAnswering([503, 500, 201])
    const { p, index } = poster(gitea.url, dbFile())
    p.start()
    p.report(TEMPLATE, SHA, { kind: 'ready', digest: `sha256:${'b'.repeat(64)}` })
    await until(() => index.commitStatuses.latest('seo', SHA)?.result === 'posted')
    expect(index.commitStatuses.latest('seo', SHA)).toMatchObject({ attempts: 3, httpStatus: 201 })
    expect(gitea.received).toHaveLength(3)
    expect(gitea.received[0]).toEqual({
      path: `/api/v1/repos/acme/seo/statuses/${SHA}`,
      authorization: 'token status-token',
      body: {
        state: 'success',
        context: 'asset-cache/seo',
        description: `ready: sha256:${'b'.repeat(64)}`,
      },
    })
    await p.stop()
    index.close()
  })

  it('gives up after the bounded attempts and counts the status as failed', async () => {
    const gitea = await giteaAnswering([502])
    const { p, index, metrics } = poster(gitea.url, dbFile(), { maxAttempts: 3 })
    p.start()
    p.report(TEMPLATE, SHA, { kind: 'failed', code: 'GITEA_UNAVAILABLE' })
    await until(() => index.commitStatuses.latest('seo', SHA)?.result === 'failed')
    expect(gitea.received).toHaveLength(3)
    const text = await metrics.text()
    expect(text).toContain('asset_cache_commit_status_posts_total{result="retried"} 2')
    expect(text).toContain('asset_cache_commit_status_posts_total{result="failed"} 1')
    await p.stop()
    index.close()
  })

  it('posts what was queued before a restart', async () => {
    const gitea = await giteaAnswering([201])
    const file = dbFile()
    const first = poster(gitea.url, file)
    // Never started: the process "stops" with the status still queued.
    first.p.report(TEMPLATE, SHA, { kind: 'rejected', code: 'GIT_METADATA', entry: '.git/config' })
    await first.p.stop()
    first.index.close()
    expect(gitea.received).toHaveLength(0)
    const second = poster(gitea.url, file)
    second.p.start()
    await until(() => second.index.commitStatuses.latest('seo', SHA)?.result === 'posted')
    expect(gitea.received.map((r) => r.body.state)).toEqual(['failure'])
    await second.p.stop()
    second.index.close()
  })

  it('posts only the newest status of a commit still waiting', async () => {
    const gitea = await giteaAnswering([201])
    const { p, index } = poster(gitea.url, dbFile())
    p.report(TEMPLATE, SHA, { kind: 'started' })
    p.report(TEMPLATE, SHA, { kind: 'ready', digest: `sha256:${'c'.repeat(64)}` })
    p.start()
    await until(() => index.commitStatuses.latest('seo', SHA)?.result === 'posted')
    expect(gitea.received.map((r) => r.body.state)).toEqual(['success'])
    await p.stop()
    index.close()
  })
})

describe('status descriptions', () => {
  it('stay within Gitea limits and printable, the code always first, whatever the path', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 2000 }), (entry) => {
        const { state, description } = describeVerdict('seo', {
          kind: 'rejected',
          code: 'PATH_BAD_CHARACTER',
          entry,
        })
        expect(state).toBe('failure')
        expect(description.length).toBeLessThanOrEqual(DESCRIPTION_MAX)
        expect(description.startsWith('rejected: PATH_BAD_CHARACTER in ')).toBe(true)
        expect(description).not.toMatch(/[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u)
        expect(Buffer.from(description, 'utf8').toString('utf8')).toBe(description)
      }),
    )
  })
})
