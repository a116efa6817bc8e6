// /healthz: the process answers. /readyz: the index and the store take writes, fetching is
// configured (or off on purpose), and every tracked template has a ready current version;
// `?exclude=templates,fetching` reports those two but leaves them out of the verdict.
import { rm, writeFile } from 'node:fs/promises'
import { Hono } from 'hono'
import { templatesNeedingAttention } from '../../admin/last-error.js'
import { tempPath } from '../../store/temp.js'
import type { AppDeps, AppEnv } from '../env.js'
import { queryOf } from '../middleware/validate.js'
import { readinessQuery } from '../openapi/requests.js'

/** How long the write-lock probe may wait: a probe must answer promptly, not after busy_timeout. */
const DB_PROBE_BUSY_MS = 100

interface Check {
  ok: boolean
  [detail: string]: unknown
}

const failed = (err: unknown): Check => ({
  ok: false,
  code: (err as { code?: string }).code ?? 'ERROR',
})

/**
 * A read (`SELECT 1`) and the write lock (`BEGIN IMMEDIATE`, then `ROLLBACK`): nothing is
 * written. better-sqlite3 waits synchronously, so the busy timeout is lowered for the probe.
 */
function databaseCheck(deps: AppDeps): Check {
  const { db } = deps.index
  if (!db.open) return { ok: false, code: 'CLOSED' }
  if (db.inTransaction) return { ok: true, read: true, write: true }
  const saved = db.pragma('busy_timeout', { simple: true }) as number
  try {
    db.prepare('SELECT 1').get()
    db.pragma(`busy_timeout = ${DB_PROBE_BUSY_MS}`)
    db.exec('BEGIN IMMEDIATE')
    db.exec('ROLLBACK')
    return { ok: true, read: true, write: true }
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK')
    return failed(err)
  } finally {
    db.pragma(`busy_timeout = ${saved}`)
  }
}

/** Creates and removes a small file where puts write their temp files (store/temp.ts). */
async function storeCheck(deps: AppDeps): Promise<Check> {
  const file = tempPath(deps.store.dir)
  try {
    await writeFile(file, 'readyz\n', { flag: 'wx' })
    return { ok: true }
  } catch (err) {
    return failed(err)
  } finally {
    await rm(file, { force: true }).catch(() => {})
  }
}

function fetchingCheck(deps: AppDeps): Check {
  const { config } = deps
  if (config.gitea) return { ok: true, configured: true }
  // Off on purpose (ASSET_CACHE_FETCH=off) is a deployment choice; missing variables are not.
  return {
    ok: !config.fetchEnabled,
    configured: false,
    reason: config.fetchOff ?? 'fetching is off',
  }
}

export const healthRoutes = new Hono<AppEnv>()
  .get('/healthz', (c) => c.json({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) }))
  .get('/readyz', async (c) => {
    const { exclude } = queryOf(c, readinessQuery)
    const { deps } = c.var
    const database = databaseCheck(deps)
    const store = await storeCheck(deps)
    const fetching = fetchingCheck(deps)
    let notReady: string[] | null = null
    let attention: ReturnType<typeof templatesNeedingAttention> = []
    try {
      notReady = deps.index.status.templatesNotReady()
      attention = templatesNeedingAttention(deps.index)
    } catch {
      // A closed or unreadable index: the database check already says why.
    }
    // `attention`: templates whose last refresh went wrong (a deleted branch included), with what
    // to do. They still serve their last good bundle, so they do not make the cache unready.
    const templates: Check =
      notReady === null
        ? { ok: false, notReady: [], attention }
        : { ok: notReady.length === 0, notReady, attention }
    const checks = { database, store, fetching, templates }
    const excluded = exclude?.split(',') ?? []
    const ready = Object.entries(checks).every(
      ([name, check]) => check.ok || excluded.includes(name),
    )
    const body = { status: ready ? 'ready' : 'not_ready', checks, ...(exclude ? { excluded } : {}) }
    return c.json(body, ready ? 200 : 503, { 'Cache-Control': 'no-store' })
  })
