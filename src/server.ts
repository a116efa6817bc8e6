// `serve`: the HTTP listener, the worker pool and the reconciler over one runtime, with a
// graceful stop (stop accepting, let running jobs finish within a bound or re-queue them, close the DB).
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { createApp } from './app.js'
import type { Config } from './config.js'
import { AppError } from './errors.js'
import { GiteaClient } from './gitea/client.js'
import { removeOrphanBlobs } from './jobs/orphans.js'
import { Reconciler } from './jobs/reconciler.js'
import { createRefresher, isPermanentRefreshError } from './jobs/refresh.js'
import { WorkerPool } from './jobs/worker-pool.js'
import type { Logger } from './log.js'
import { openRuntime, type Runtime } from './runtime.js'

export interface RunningServer {
  url: string
  runtime: Runtime
  pool: WorkerPool
  reconciler: Reconciler
  gitea: GiteaClient | null
  /** Drains and closes everything; safe to call twice. */
  close(graceMs?: number): Promise<void>
}

export interface StartOptions {
  logger: Logger
  /** Hooks for tests and metrics. */
  onDownload?: (template: string, commit: string) => void
  /** Overrides of the Gitea client's timing (tests shorten the backoff). */
  giteaTiming?: {
    backoffBaseMs?: number
    backoffMaxMs?: number
    bodyTimeoutMs?: number
    headersTimeoutMs?: number
    attempts?: number
  }
  jobBackoffBaseMs?: number
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/

/** Refuses a configuration that would serve bundles to anyone on the network by accident. */
export function checkReadExposure(config: Config): void {
  if (config.readTokens.length > 0 || config.allowAnonymousReads || LOOPBACK.test(config.host))
    return
  throw new AppError(
    'CONFIG_INVALID',
    `environment: ASSET_CACHE_HOST: listening on ${config.host} with no ASSET_CACHE_READ_TOKENS would let anyone read bundles. ` +
      'Set ASSET_CACHE_READ_TOKENS (comma-separated tokens, or sha256:<hex> of them), ' +
      'or ASSET_CACHE_ALLOW_ANONYMOUS_READS=true to allow it on purpose, or listen on 127.0.0.1.',
  )
}

export async function startServer(config: Config, options: StartOptions): Promise<RunningServer> {
  checkReadExposure(config)
  const { logger } = options
  const runtime = await openRuntime(config)
  const { index } = runtime

  const requeued = index.jobs.requeueRunning()
  if (requeued > 0) logger.warn({ requeued }, 'jobs found running at start-up were queued again')
  const orphans = await removeOrphanBlobs(index, runtime.store)
  if (orphans.removed.length > 0) {
    logger.warn(
      { removed: orphans.removed, freedBytes: orphans.freedBytes },
      'removed blobs that no index row points to',
    )
  }

  const gitea = config.gitea
    ? new GiteaClient({
        baseUrl: config.gitea.baseUrl,
        token: config.gitea.token,
        ...options.giteaTiming,
      })
    : null
  if (!gitea) logger.warn({ reason: config.fetchOff }, 'fetching is off; serving what is stored')

  const pool = new WorkerPool({
    index,
    logger,
    concurrency: config.workers,
    ...(options.jobBackoffBaseMs !== undefined ? { backoffBaseMs: options.jobBackoffBaseMs } : {}),
    isPermanent: isPermanentRefreshError,
    run: createRefresher({
      index,
      store: runtime.store,
      gitea,
      spoolDir: runtime.spoolDir,
      limits: config.limits,
      logger,
      ...(options.onDownload ? { onDownload: options.onDownload } : {}),
    }),
  })
  const reconciler = new Reconciler({
    index,
    gitea,
    logger,
    intervalMs: config.reconcileIntervalMs,
    onEnqueued: () => pool.notify(),
  })

  const app = createApp({
    config,
    index,
    store: runtime.store,
    logger,
    onEnqueued: () => pool.notify(),
  })
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host })
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', reject)
  })
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const url = `http://${host}:${address.port}`

  pool.start()
  reconciler.start()
  logger.info(
    { url, templates: config.templates.length, workers: config.workers, fetching: gitea !== null },
    'asset-cache listening',
  )

  let closing: Promise<void> | null = null
  const close = (graceMs = 10_000) => {
    closing ??= (async () => {
      logger.info('shutting down: draining requests and jobs')
      const httpClosed = new Promise<void>((resolve) => server.close(() => resolve()))
      ;(server as { closeIdleConnections?: () => void }).closeIdleConnections?.()
      await reconciler.stop()
      await pool.stop(graceMs)
      await Promise.race([httpClosed, new Promise((r) => setTimeout(r, graceMs).unref())])
      ;(server as { closeAllConnections?: () => void }).closeAllConnections?.()
      await gitea?.close()
      runtime.close()
      logger.info('stopped')
    })()
    return closing
  }
  return { url, runtime, pool, reconciler, gitea, close }
}
