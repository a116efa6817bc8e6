// `serve`: the HTTP listener, the worker pool and the reconciler over one runtime, with a
// graceful stop (stop accepting, let running jobs finish within a bound or re-queue them, close the DB).
import type { Server } from 'node:http'
import { getRequestListener } from '@hono/node-server'
import { collectGarbageNow } from '../admin/actions.js'
import { createAttester } from '../attest/sign.js'
import { settleDetached } from '../cache/gc.js'
import { removeOrphanBlobs } from '../cache/orphans.js'
import type { Config } from '../config.js'
import { AppError } from '../errors.js'
import { GiteaClient } from '../gitea/client.js'
import { StartupConvergence } from '../jobs/convergence.js'
import { scheduleGc } from '../jobs/gc-schedule.js'
import { Reconciler } from '../jobs/reconciler.js'
import { createRefresher, isPermanentRefreshError, jobOutcome } from '../jobs/refresh.js'
import { WorkerPool } from '../jobs/worker-pool.js'
import type { Logger } from '../log.js'
import { createMetrics, type Metrics } from '../metrics.js'
import { Publisher } from '../oci/publisher.js'
import { createPeers } from '../peers/index.js'
import { openRuntime, type Runtime } from '../runtime.js'
import { statusPoster } from '../statuses/index.js'
import { applyManifest } from '../templates-manifest.js'
import { adminDeps, appDeps } from './deps.js'
import { createListener } from './fast-path/listener.js'
import { listenHttp } from './listen.js'
import { metricsApp } from './routes/metrics.js'

export interface RunningServer {
  url: string
  runtime: Runtime
  pool: WorkerPool
  /** The OCI publisher (ASSET_CACHE_OCI_PUBLISH), or null when publishing is off. */
  publisher: Publisher | null
  reconciler: Reconciler
  gitea: GiteaClient | null
  metrics: Metrics
  /** The separate /metrics listener (ASSET_CACHE_METRICS_PORT), or null when /metrics is on `url`. */
  metricsUrl: string | null
  /** Drains and closes everything; safe to call twice. */
  close(graceMs?: number): Promise<void>
}

export interface StartOptions {
  logger: Logger
  /** Default: a fresh registry for this server. */
  metrics?: Metrics
  /** Hooks for tests and metrics. */
  onDownload?: (template: string, commit: string) => void
  /** Overrides of the Gitea client's timing (tests shorten the backoff). */
  giteaTiming?: {
    backoffBaseMs?: number
    backoffMaxMs?: number
    bodyTimeoutMs?: number
    headersTimeoutMs?: number
    archiveWaitMs?: number
    attempts?: number
  }
  jobBackoffBaseMs?: number
  /** How often the publisher looks for changes and due retries (default 1 s). */
  publishPollMs?: number
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
  const { index, now } = runtime
  try {
    applyManifest(runtime, logger)
  } catch (err) {
    runtime.close()
    throw err
  }

  const requeued = index.jobs.requeueRunning(now())
  if (requeued > 0) logger.warn({ requeued }, 'jobs found running at start-up were queued again')
  const orphans = await removeOrphanBlobs(index, runtime.store, { now: now() })
  if (orphans.removed.length > 0) {
    logger.warn(
      { removed: orphans.removed, freedBytes: orphans.freedBytes },
      'removed blobs that no index row points to',
    )
  }

  const settled = await settleDetached(runtime)
  if (settled.reattached.length + settled.discarded.length > 0) {
    logger.warn(settled, 'settled bundles an interrupted gc had detached')
  }

  const metrics = options.metrics ?? createMetrics()
  const gitea = config.gitea
    ? new GiteaClient({
        baseUrl: config.gitea.baseUrl,
        token: config.gitea.token,
        now,
        metrics,
        ...options.giteaTiming,
      })
    : null
  if (!gitea) logger.warn({ reason: config.fetchOff }, 'fetching is off; serving what is stored')
  const statuses = statusPoster(runtime, logger, metrics)

  const pool = new WorkerPool({
    index,
    logger,
    now,
    concurrency: config.workers,
    ...(options.jobBackoffBaseMs !== undefined ? { backoffBaseMs: options.jobBackoffBaseMs } : {}),
    isPermanent: isPermanentRefreshError,
    onSettled: (_job, settled) =>
      metrics.jobs.inc({ outcome: jobOutcome(settled, settled.disposition) }),
    run: createRefresher({
      index,
      store: runtime.store,
      gitea,
      spoolDir: runtime.spoolDir,
      limits: config.limits,
      archivePrefix: config.archivePrefix,
      logger,
      now,
      metrics,
      attester: config.signingKey
        ? createAttester({
            index,
            key: config.signingKey,
            logger,
            counter: metrics.attestations(),
            now,
          })
        : null,
      ...(options.onDownload ? { onDownload: options.onDownload } : {}),
      ...(statuses ? { onVerdict: statuses.report.bind(statuses) } : {}),
    }),
  })
  const reconciler = new Reconciler({
    index,
    gitea,
    logger,
    intervalMs: config.reconcileIntervalMs,
    now,
    onEnqueued: () => pool.notify(),
  })

  let ownPort = config.port
  const peers = createPeers({
    config,
    index,
    store: runtime.store,
    logger,
    metrics: () => metrics.peers(),
    ownPort: () => ownPort,
    now,
  })
  // Made once: the fast path, the app and scheduled GC share its hot cache.
  const deps = appDeps({
    config,
    index,
    store: runtime.store,
    logger,
    now,
    onEnqueued: () => pool.notify(),
    metrics,
    peers,
    // Not ready before the first reconcile pass has started (replaced below, once listening).
    convergence: { converged: () => false, detail: () => ({ reconciled: false }) },
  })
  const { server, url } = await listenHttp(
    createListener(deps),
    config.host,
    config.port,
    'ASSET_CACHE_HOST/ASSET_CACHE_PORT',
    config.http,
    metrics,
  ).catch(async (err) => {
    await gitea?.close()
    runtime.close()
    throw err
  })
  // /metrics on a listener of its own (e.g. only on an internal interface); the main one 404s it.
  const metricsListener = config.metrics
    ? await listenHttp(
        getRequestListener(metricsApp(metrics).fetch),
        config.metrics.host,
        config.metrics.port,
        'ASSET_CACHE_METRICS_HOST/ASSET_CACHE_METRICS_PORT',
        config.http,
      ).catch(async (err) => {
        await closeServer(server)
        await gitea?.close()
        runtime.close()
        throw err
      })
    : null

  const publisher = config.ociPublish
    ? new Publisher({
        config: { oci: config.oci, ociPublish: config.ociPublish },
        index,
        store: runtime.store,
        logger,
        metrics,
        now,
        hot: deps.state.serving.cache,
        ...(deps.onEnqueued ? { onEnqueued: deps.onEnqueued } : {}),
        ...(options.publishPollMs !== undefined ? { pollMs: options.publishPollMs } : {}),
      })
    : null
  ownPort = Number(new URL(url).port)
  pool.start()
  statuses?.start()
  reconciler.start()
  publisher?.start()
  deps.convergence = new StartupConvergence(index, gitea ? reconciler.runOnce() : null)
  const gc =
    config.gcIntervalMs === null
      ? null
      : scheduleGc({
          intervalMs: config.gcIntervalMs,
          run: () => collectGarbageNow(adminDeps(deps)),
          logger,
        })
  logger.info(
    {
      url,
      metricsUrl: metricsListener?.url ?? null,
      templates: index.templates.tracked().length,
      workers: config.workers,
      fetching: gitea !== null,
      peers: config.peers?.kind ?? null,
    },
    'asset-cache listening',
  )

  let closing: Promise<void> | null = null
  const close = (graceMs = 10_000) => {
    closing ??= (async () => {
      logger.info('shutting down: draining requests and jobs')
      const httpClosed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeIdleConnections()
      const metricsClosed = metricsListener ? closeServer(metricsListener.server) : null
      await reconciler.stop()
      await peers?.close(Math.min(graceMs, 5_000))
      await publisher?.close()
      await gc?.stop()
      await pool.stop(graceMs)
      await statuses?.stop()
      await Promise.race([httpClosed, new Promise((r) => setTimeout(r, graceMs).unref())])
      server.closeAllConnections()
      await metricsClosed
      await gitea?.close()
      runtime.close()
      logger.info('stopped')
    })()
    return closing
  }
  return {
    url,
    runtime,
    pool,
    publisher,
    reconciler,
    gitea,
    metrics,
    metricsUrl: metricsListener?.url ?? null,
    close,
  }
}

/** Stops accepting and ends every connection (a scrape is short; nothing to drain). */
function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  server.closeAllConnections()
  return closed
}
