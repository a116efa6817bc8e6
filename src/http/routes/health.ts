// /healthz: the process answers. /readyz: the index and the store take writes, fetching is
// configured (or off on purpose), and every tracked template has a ready current version;
// `?exclude=templates,fetching` reports those two but leaves them out of the verdict. A replica that
// just started is not ready before its first reconcile pass has run its refreshes (`startup`).
import { Hono } from 'hono'
import { templatesNeedingAttention } from '../../admin/last-error.js'
import type { AppDeps, AppEnv } from '../env.js'
import { queryOf } from '../middleware/validate.js'
import { readinessQuery } from '../openapi/requests.js'
import { healthBody, readinessBody } from '../openapi/responses.js'
import { error, json, NO_STORE, type RouteSpec } from '../openapi/route-spec.js'

/** How long the write-lock probe may wait: a probe must answer promptly, not after busy_timeout. */
const DB_PROBE_BUSY_MS = 100

interface Check {
  ok: boolean
  [detail: string]: unknown
}

/** A probe's answer: null when it passed, else the failure's code. */
const checked = (code: string | null): Check => (code === null ? { ok: true } : { ok: false, code })

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
    const db = checked(deps.index.probe(DB_PROBE_BUSY_MS))
    const database = db.ok ? { ok: true, read: true, write: true } : db
    const store = checked(await deps.store.probe())
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
    // Start-up convergence (jobs/convergence.ts): the first reconcile pass and its refreshes.
    const convergence = deps.convergence
    const startup: Check = convergence
      ? { ok: convergence.converged(), ...convergence.detail() }
      : { ok: true }
    const checks = { database, store, fetching, templates, startup }
    const excluded = exclude?.split(',') ?? []
    const ready = Object.entries(checks).every(
      ([name, check]) => check.ok || excluded.includes(name),
    )
    const body = { status: ready ? 'ready' : 'not_ready', checks, ...(exclude ? { excluded } : {}) }
    return c.json(body, ready ? 200 : 503, { 'Cache-Control': 'no-store' })
  })

export const healthOperations: readonly RouteSpec[] = [
  {
    method: 'get',
    path: '/healthz',
    operationId: 'getHealth',
    summary: 'Liveness: the process answers',
    tag: 'operations',
    security: 'none',
    responses: { 200: json('alive', healthBody) },
  },
  {
    method: 'get',
    path: '/readyz',
    operationId: 'getReadiness',
    summary: 'Readiness: DB and store usable, fetching configured, every template ready',
    tag: 'operations',
    security: 'none',
    query: readinessQuery,
    responses: {
      200: json('ready', readinessBody, NO_STORE),
      400: error('`exclude` names a check that cannot be left out', 'INVALID_PAYLOAD'),
      503: json('not ready; `checks` says which part is not', readinessBody, NO_STORE),
    },
  },
]
