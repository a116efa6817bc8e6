// Prometheus metrics (prom-client). Each Metrics object owns its Registry (never the global
// default), so several apps can live in one process. Counters and histograms are incremented by
// the parts that do the work; gauges about stored state are read from SQLite at scrape time.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import { attestationCounter } from './attest/sign.js'
import type { Config } from './config.js'
import type { Index } from './db/index.js'
import { type PeerMetrics, peerMetrics } from './peers/metrics.js'
import { createStatusMetrics, type StatusMetrics } from './statuses/metrics.js'

export type { GiteaErrorKind, JobOutcome, JobPhase, WebhookOutcome } from './metric-labels.js'

/** What scrape-time gauges read. */
export interface ScrapeSource {
  index: Index
  config: Pick<Config, 'storeBudgetBytes'>
  hotCacheBytes?: () => number
  /** Webhook body bytes reserved by the deliveries being read or handled. */
  webhookBodyBytes?: () => number
  now: () => number
}

export interface Metrics {
  readonly registry: Registry
  readonly webhookDeliveries: Counter<'event' | 'outcome'>
  readonly jobs: Counter<'outcome'>
  readonly jobPhaseSeconds: Histogram<'phase'>
  readonly archiveBytesDownloaded: Counter
  readonly httpRequests: Counter<'route' | 'method' | 'status'>
  readonly httpRequestDuration: Histogram<'route' | 'method'>
  readonly bundleBytesServed: Counter
  /** Connections open on the main listener, and those refused at ASSET_CACHE_MAX_CONNECTIONS. */
  readonly httpConnections: Gauge
  readonly httpConnectionsRefused: Counter
  /** Connections the server closed: `request` (headers or whole request too slow), `idle`. */
  readonly httpConnectionsTimedOut: Counter<'reason'>
  /** Requests whose client closed the connection before the request was read (recorded as 499). */
  readonly requestsAborted: Counter<'route'>
  readonly hotCacheHits: Counter
  readonly hotCacheMisses: Counter
  readonly giteaRequestErrors: Counter<'kind'>
  /** Incremented by garbage collection: one per run, bytes freed, bundles removed. */
  readonly gcRuns: Counter
  readonly gcFreedBytes: Counter
  readonly gcRemovedBundles: Counter
  readonly statuses: StatusMetrics
  /** ASSET_CACHE_OCI_PUBLISH: versions pushed or failed, and tags pointed (`outcome` the same). */
  readonly ociPublishes: Counter<'outcome'>
  readonly ociTagPushes: Counter<'outcome'>
  /**
   * One finished HTTP request: asset_cache_http_requests_total and the duration histogram. The
   * counter part is kept in plain numbers and handed to prom-client at scrape time (its collect
   * hook), so a request pays map lookups, not prom-client's label hashing and validation.
   */
  request(route: string, method: string, status: number, seconds: number): void
  /** asset_cache_attestations_total and the peer metrics: registered when first asked for. */
  attestations(): Counter<'outcome'>
  peers(): PeerMetrics
  /** Points the scrape-time gauges at an index; the last source attached wins. */
  attach(source: ScrapeSource): void
  /** The text exposition. */
  text(): Promise<string>
  readonly contentType: string
}

/** map.get(key), first set to make() when absent. */
function slot<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key)
  if (value === undefined) {
    value = make()
    map.set(key, value)
  }
  return value
}

const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]

export function createMetrics(): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const registers = [registry]
  let source: ScrapeSource | null = null
  let attestations: Counter<'outcome'> | null = null
  let peers: PeerMetrics | null = null
  /** The index when it is still open (a scrape after shutdown reports nothing stale). */
  const openIndex = () => (source?.index.db.open ? source.index : null)

  const counter = <L extends string>(name: string, help: string, labelNames: L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers })
  const gauge = <L extends string>(
    name: string,
    help: string,
    labelNames: L[],
    collect: (g: Gauge<L>) => void,
  ) =>
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers,
      collect() {
        collect(this)
      },
    })

  gauge(
    'asset_cache_versions',
    'Version rows by status and reason code.',
    ['status', 'reason'],
    (g) => {
      const index = openIndex()
      if (!index) return
      g.reset()
      for (const { status, reason, n } of index.status.versionCounts()) g.set({ status, reason }, n)
    },
  )
  gauge('asset_cache_queue_depth', 'Refresh jobs queued or running.', ['state'], (g) => {
    const index = openIndex()
    if (!index) return
    const depth = index.jobs.depth()
    g.set({ state: 'queued' }, depth.queued)
    g.set({ state: 'running' }, depth.running)
  })
  gauge('asset_cache_store_bytes', 'Bytes of indexed bundles in the store.', [], (g) => {
    const index = openIndex()
    if (index) g.set(index.status.indexedStoreBytes())
  })
  gauge('asset_cache_store_budget_bytes', 'ASSET_CACHE_STORE_BUDGET.', [], (g) => {
    if (source) g.set(source.config.storeBudgetBytes)
  })
  gauge(
    'asset_cache_reconcile_lag_seconds',
    'Age of the oldest tracked template behind its branch head (0 when all are current).',
    [],
    (g) => {
      const index = openIndex()
      if (index && source) g.set(index.status.reconcileLagSeconds(source.now()))
    },
  )
  gauge(
    'asset_cache_templates_not_ready',
    'Tracked templates (named by the applied manifest) with no ready current version.',
    [],
    (g) => {
      const index = openIndex()
      if (index) g.set(index.status.templatesNotReady().length)
    },
  )
  gauge('asset_cache_hot_cache_bytes', 'Bytes held by the in-memory bundle cache.', [], (g) => {
    g.set(source?.hotCacheBytes?.() ?? 0)
  })
  gauge(
    'asset_cache_webhook_body_bytes',
    'Webhook body bytes held by deliveries being read or handled (bounded by the body budget).',
    [],
    (g) => {
      g.set(source?.webhookBodyBytes?.() ?? 0)
    },
  )

  // route → method → status → pending count and its labels (built once per combination).
  type Pending = { labels: { route: string; method: string; status: string }; n: number }
  const pendingRequests = new Map<string, Map<string, Map<number, Pending>>>()
  const durationLabels = new Map<string, Map<string, { route: string; method: string }>>()
  const httpRequests = new Counter<'route' | 'method' | 'status'>({
    name: 'asset_cache_http_requests_total',
    help: 'HTTP requests by matched route pattern, method and status.',
    labelNames: ['route', 'method', 'status'],
    registers,
    collect() {
      for (const byMethod of pendingRequests.values())
        for (const byStatus of byMethod.values())
          for (const pending of byStatus.values()) {
            if (pending.n === 0) continue
            this.inc(pending.labels, pending.n)
            pending.n = 0
          }
    },
  })
  const httpRequestDuration = new Histogram<'route' | 'method'>({
    name: 'asset_cache_http_request_duration_seconds',
    help: 'Time to the response headers (streamed bodies continue after), by route pattern.',
    labelNames: ['route', 'method'],
    buckets: SECONDS_BUCKETS,
    registers,
  })
  const request = (route: string, method: string, status: number, seconds: number) => {
    const byStatus = slot(
      slot(pendingRequests, route, () => new Map()),
      method,
      () => new Map(),
    )
    slot(byStatus, status, () => ({ labels: { route, method, status: String(status) }, n: 0 })).n++
    const labels = slot(
      slot(durationLabels, route, () => new Map()),
      method,
      () => ({ route, method }),
    )
    httpRequestDuration.observe(labels, seconds)
  }

  return {
    registry,
    webhookDeliveries: counter(
      'asset_cache_webhook_deliveries_total',
      'Webhook deliveries by event and outcome.',
      ['event', 'outcome'],
    ),
    jobs: counter('asset_cache_jobs_total', 'Refresh job runs by outcome.', ['outcome']),
    jobPhaseSeconds: new Histogram({
      name: 'asset_cache_job_phase_seconds',
      help: 'Refresh job time by phase (head, fetch, validate, store, total).',
      labelNames: ['phase'],
      buckets: SECONDS_BUCKETS,
      registers,
    }),
    archiveBytesDownloaded: counter(
      'asset_cache_archive_bytes_downloaded_total',
      'Archive bytes received from Gitea (failed attempts included).',
    ),
    httpRequests,
    httpRequestDuration,
    request,
    httpConnections: new Gauge({
      name: 'asset_cache_http_connections',
      help: 'Connections open on the main listener.',
      registers,
    }),
    httpConnectionsRefused: counter(
      'asset_cache_http_connections_refused_total',
      'Connections refused because ASSET_CACHE_MAX_CONNECTIONS were open.',
    ),
    httpConnectionsTimedOut: counter(
      'asset_cache_http_connections_timed_out_total',
      'Connections closed by the server: request (headers or whole request too slow), idle (an answer the client stopped taking).',
      ['reason'],
    ),
    requestsAborted: counter(
      'asset_cache_http_requests_aborted_total',
      'Requests whose client closed the connection before the request was read to the end.',
      ['route'],
    ),
    bundleBytesServed: counter(
      'asset_cache_bundle_bytes_served_total',
      'Body bytes sent for /v1/bundles/:digest (ranges and gzip as sent).',
    ),
    hotCacheHits: counter(
      'asset_cache_hot_cache_hits_total',
      'Bundle lookups the hot cache answered.',
    ),
    hotCacheMisses: counter(
      'asset_cache_hot_cache_misses_total',
      'Bundle lookups the hot cache did not answer.',
    ),
    giteaRequestErrors: counter(
      'asset_cache_gitea_request_errors_total',
      'Failed Gitea attempts by kind.',
      ['kind'],
    ),
    gcRuns: counter('asset_cache_gc_runs_total', 'Garbage collection runs.'),
    gcFreedBytes: counter('asset_cache_gc_freed_bytes_total', 'Bytes freed by garbage collection.'),
    gcRemovedBundles: counter(
      'asset_cache_gc_removed_bundles_total',
      'Bundles removed by garbage collection.',
    ),
    statuses: createStatusMetrics(registry, openIndex),
    ociPublishes: counter(
      'asset_cache_oci_publishes_total',
      'Versions pushed to ASSET_CACHE_OCI_PUBLISH (outcome pushed, failed or attestations_refused).',
      ['outcome'],
    ),
    ociTagPushes: counter(
      'asset_cache_oci_tag_pushes_total',
      'Tags pointed at a version at ASSET_CACHE_OCI_PUBLISH (outcome pushed or failed).',
      ['outcome'],
    ),
    attestations: () => {
      attestations ??= attestationCounter(registry)
      return attestations
    },
    peers: () => {
      peers ??= peerMetrics(registry)
      return peers
    },
    attach(next) {
      source = next
    },
    text: () => registry.metrics(),
    contentType: registry.contentType,
  }
}
