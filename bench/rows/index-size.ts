// resolve-100k: resolve latency with 100 000 versions of the template in the index against 100.
// Both indexes are written straight into SQLite (the schema of migrations/*.sql, applied by the
// service's own migrator) before their servers start; rounds alternate between the two.
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { DEFAULT_ALLOW, DEFAULT_REQUIRE } from '../../src/config.js'
import { openIndex } from '../../src/db/index.js'
import type { BenchContext } from '../lib/context.js'
import { AUTH } from '../lib/context.js'
import { type LoadResult, openLoop } from '../lib/loadgen.js'
import type { Row, RowSpec } from '../lib/report.js'
import type { AssetCacheChild } from '../lib/server.js'
import { median, round } from '../lib/stats.js'

export const resolveIndexSize: RowSpec = {
  id: 'resolve-100k',
  title: 'resolve p99 with 100 000 versions vs 100',
  unit: 'ms',
  referenceLabel: 'same, 100 versions',
  target: '≤ 1.2×',
}

const TEMPLATE = 'idx'
const REPO = 'bench/idx'

const hex = (text: string) => createHash('sha256').update(text).digest('hex')

/** A data dir whose index holds `count` versions of one template (1 in 10 rejected). */
export function seedIndex(dataDir: string, count: number): void {
  const index = openIndex(join(dataDir, 'index.db'))
  try {
    index.templates.sync(
      [{ name: TEMPLATE, repo: REPO, ref: 'main', allow: DEFAULT_ALLOW, require: DEFAULT_REQUIRE }],
      { now: Date.now() },
    )
    const db = index.db
    const bundle = db.prepare(
      'INSERT INTO bundles (digest, size, file_count, created_at) VALUES (?, ?, ?, ?)',
    )
    const version = db.prepare(
      `INSERT INTO versions (template, commit_sha, digest, status, reason_code, reason_detail,
         source, bundle_bytes, file_count, created_at, updated_at, ready_at)
       VALUES (?, ?, ?, ?, ?, ?, 'webhook', ?, ?, ?, ?, ?)`,
    )
    const t0 = Date.UTC(2024, 0, 1)
    let last = 0
    db.transaction(() => {
      for (let i = 0; i < count; i++) {
        const at = t0 + i * 60_000
        const commit = hex(`commit ${i}`).slice(0, 40)
        if (i % 10 === 9) {
          version.run(
            TEMPLATE,
            commit,
            null,
            'rejected',
            'PATH_INVALID',
            'bad',
            null,
            null,
            at,
            at,
            null,
          )
          continue
        }
        const digest = `sha256:${hex(`bundle ${i}`)}`
        bundle.run(digest, 4096 + (i % 1000), 3, at)
        last = Number(
          version.run(
            TEMPLATE,
            commit,
            digest,
            'ready',
            null,
            null,
            4096 + (i % 1000),
            3,
            at,
            at,
            at,
          ).lastInsertRowid,
        )
      }
      db.prepare('UPDATE templates SET current_version_id = ? WHERE name = ?').run(last, TEMPLATE)
    })()
  } finally {
    index.close()
  }
}

export async function indexSizeRow(ctx: BenchContext): Promise<Row> {
  const { sizes } = ctx
  const counts = [sizes.indexBaseVersions, sizes.indexVersions] as const
  const servers: AssetCacheChild[] = []
  for (const count of counts) {
    const dataDir = join(ctx.dir, `index-${count}-data`)
    seedIndex(dataDir, count)
    // Fetching off: the server only serves what the index holds.
    servers.push(
      await ctx.server(`index-${count}`, [{ name: TEMPLATE, repo: { fullName: REPO } }], {
        fetching: false,
        dataDir,
      }),
    )
  }
  const results: [LoadResult[], LoadResult[]] = [[], []]
  try {
    await measureRounds()
  } finally {
    for (const server of servers) await server.stop()
  }
  async function measureRounds() {
    for (let r = 0; r < sizes.indexRounds; r++) {
      const order = r % 2 === 0 ? [0, 1] : [1, 0]
      for (const i of order) {
        results[i as 0 | 1].push(
          await openLoop({
            url: `${servers[i]!.url}/v1/templates/${TEMPLATE}`,
            rate: sizes.resolveRate,
            durationMs: sizes.indexMs,
            warmupMs: sizes.resolveWarmMs,
            connections: 16,
            headers: AUTH,
          }),
        )
      }
    }
  }
  const p99 = (rs: LoadResult[]) => round(median(rs.map((x) => x.p99)), 3)
  const p50 = (rs: LoadResult[]) => round(median(rs.map((x) => x.p50)), 3)
  const errors = results.flat().reduce((sum, x) => sum + x.errors, 0)
  const ours = p99(results[1])
  const reference = p99(results[0])
  const ratio = round(ours / reference, 2)
  return {
    ...resolveIndexSize,
    title: `resolve p99 with ${sizes.indexVersions} versions vs ${sizes.indexBaseVersions}`,
    referenceLabel: `same, ${sizes.indexBaseVersions} versions`,
    ours,
    reference,
    ratio,
    status: ratio <= 1.2 && errors === 0 ? 'pass' : 'fail',
    note: `p50 ${p50(results[1])} ms vs ${p50(results[0])} ms; median of ${sizes.indexRounds} alternating rounds at ${sizes.resolveRate} req/s${errors ? `; ${errors} errors` : ''}`,
    detail: { versions: counts, rounds: results },
  }
}
