// ingest-16m: a push of a ~16 MiB (compressed, incompressible) template, signed webhook → the new
// commit ready, against the floor measured in the same run: downloading the same archive from the
// same fake Gitea, gunzipping and hashing it in one pipeline.
import { createHash } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'
import { request } from 'undici'
import { push, sendWebhook } from '../../test/support/gitea/index.js'
import type { BenchContext } from '../lib/context.js'
import { GITEA_TOKEN, READ_TOKEN, WEBHOOK_SECRET } from '../lib/context.js'
import { randomFiles } from '../lib/fixtures.js'
import { readyAt } from '../lib/http.js'
import type { Row, RowSpec } from '../lib/report.js'
import { median, pairedRuns, round } from '../lib/stats.js'

export const ingest16m: RowSpec = {
  id: 'ingest-16m',
  title: 'ingest a 16 MiB archive, webhook → ready',
  unit: 'ms',
  referenceLabel: 'download+gunzip+sha256 floor',
  target: '≤ 1.5× floor',
}

/** Downloads the archive of `commit`, gunzips and hashes it; returns [ms, wire bytes]. */
export async function archiveFloor(
  giteaUrl: string,
  repo: string,
  commit: string,
): Promise<[number, number]> {
  const started = performance.now()
  const res = await request(`${giteaUrl}/api/v1/repos/${repo}/archive/${commit}.tar.gz`, {
    headers: { authorization: `token ${GITEA_TOKEN}` },
  })
  if (res.statusCode !== 200) throw new Error(`archive: ${res.statusCode}`)
  let wire = 0
  res.body.on('data', (chunk: Buffer) => {
    wire += chunk.length
  })
  const hash = createHash('sha256')
  await pipeline(
    res.body,
    createGunzip(),
    new Writable({
      write(chunk: Buffer, _enc, done) {
        hash.update(chunk)
        done()
      },
    }),
  )
  hash.digest('hex')
  return [performance.now() - started, wire]
}

export async function ingestRow(ctx: BenchContext): Promise<Row> {
  const { server, repos } = await ctx.main()
  const gitea = await ctx.gitea()
  const repo = repos.ingest
  const { sizes } = ctx
  // The big content arrives with the first measured push; runs differ by one small file each.
  await repo.commit(randomFiles('prompts', sizes.ingestBytes, 512 * 1024))
  let wireBytes = 0
  const { ours, reference: floor } = await pairedRuns(sizes.ingestRuns, async (run) => {
    const payload = await push(repo, { 'prompts/run.md': `run ${run}\n` })
    const [floorMs, wire] = await archiveFloor(gitea.url, repo.fullName, payload.after)
    wireBytes = wire
    const started = performance.now()
    const ack = await sendWebhook(`${server.url}/hooks/gitea`, {
      secret: WEBHOOK_SECRET,
      event: 'push',
      payload,
    })
    if (ack.status !== 202) throw new Error(`webhook answered ${ack.status}: ${ack.body}`)
    await readyAt(server.url, 'ingest', READ_TOKEN, payload.after, 120_000, 5)
    return { ours: performance.now() - started, reference: floorMs }
  })
  const oursMs = round(median(ours), 1)
  const floorMs = round(median(floor), 1)
  const ratio = round(oursMs / floorMs, 2)
  return {
    ...ingest16m,
    title: `ingest a ${round(wireBytes / 2 ** 20, 1)} MiB archive, webhook → ready`,
    ours: oursMs,
    reference: floorMs,
    ratio,
    status: ratio <= 1.5 ? 'pass' : 'fail',
    detail: { wireBytes, randomBytes: sizes.ingestBytes, oursRuns: ours, floorRuns: floor },
  }
}
