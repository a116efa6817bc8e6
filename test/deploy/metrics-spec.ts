// The metrics asset-cache exposes (src/metrics.ts), as the dashboard and the alerts may use them,
// and a check of the metric names, label names and label values a PromQL expression uses.

interface MetricSpec {
  type: 'counter' | 'gauge' | 'histogram'
  labels: readonly string[]
  /** Known values of a label, where a wrong literal would silently match nothing. */
  values?: Record<string, readonly string[]>
}

export const METRICS: Record<string, MetricSpec> = {
  asset_cache_webhook_deliveries_total: { type: 'counter', labels: ['event', 'outcome'] },
  asset_cache_jobs_total: {
    type: 'counter',
    labels: ['outcome'],
    values: { outcome: ['ready', 'unchanged', 'rejected', 'failed', 'retry'] },
  },
  asset_cache_job_phase_seconds: {
    type: 'histogram',
    labels: ['phase'],
    values: { phase: ['head', 'fetch', 'validate', 'store', 'total'] },
  },
  asset_cache_archive_bytes_downloaded_total: { type: 'counter', labels: [] },
  asset_cache_versions: { type: 'gauge', labels: ['status', 'reason'] },
  asset_cache_http_requests_total: { type: 'counter', labels: ['route', 'method', 'status'] },
  asset_cache_http_request_duration_seconds: { type: 'histogram', labels: ['route', 'method'] },
  asset_cache_bundle_bytes_served_total: { type: 'counter', labels: [] },
  asset_cache_hot_cache_hits_total: { type: 'counter', labels: [] },
  asset_cache_hot_cache_misses_total: { type: 'counter', labels: [] },
  asset_cache_queue_depth: {
    type: 'gauge',
    labels: ['state'],
    values: { state: ['queued', 'running'] },
  },
  asset_cache_store_bytes: { type: 'gauge', labels: [] },
  asset_cache_store_budget_bytes: { type: 'gauge', labels: [] },
  asset_cache_gitea_request_errors_total: { type: 'counter', labels: ['kind'] },
  asset_cache_reconcile_lag_seconds: { type: 'gauge', labels: [] },
  asset_cache_templates_not_ready: { type: 'gauge', labels: [] },
  asset_cache_gc_freed_bytes_total: { type: 'counter', labels: [] },
  asset_cache_gc_removed_bundles_total: { type: 'counter', labels: [] },
  process_resident_memory_bytes: { type: 'gauge', labels: [] },
}

/** Series Prometheus itself makes for every scrape target; only alerts use them. */
export const SCRAPE_SERIES: Record<string, MetricSpec> = { up: { type: 'gauge', labels: [] } }

/** Labels Prometheus attaches to every scraped series. */
const TARGET_LABELS = ['instance', 'job']

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'and',
  'or',
  'unless',
  'inf',
  'nan',
  // Aggregation operators, which may be followed by `by (...)` rather than by a parenthesis.
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
])

/** A series name as exposed: histograms only as `_bucket`, `_sum` and `_count`. */
function seriesSpec(
  name: string,
  known: Record<string, MetricSpec>,
): { base: string; spec: MetricSpec; bucket: boolean } | null {
  const direct = known[name]
  if (direct)
    return direct.type === 'histogram' ? null : { base: name, spec: direct, bucket: false }
  const m = /^(.*)_(bucket|sum|count)$/.exec(name)
  const spec = m ? known[m[1]!] : undefined
  if (!m || spec?.type !== 'histogram') return null
  return { base: m[1]!, spec, bucket: m[2] === 'bucket' }
}

export interface ExprUse {
  /** Base metric names used (histogram suffixes removed). */
  metrics: string[]
  problems: string[]
}

/** Checks one PromQL expression against `known`. */
export function checkExpr(expr: string, known: Record<string, MetricSpec>): ExprUse {
  const problems: string[] = []
  const metrics = new Set<string>()
  const labelsInExpr = new Set(TARGET_LABELS)
  const text = expr.replace(/\$__\w+|\$\{?\w+\}?/g, 'VAR')

  // Selectors with matchers: `name{k="v", ...}`.
  for (const m of text.matchAll(/([a-zA-Z_:][\w:]*)\s*\{([^}]*)\}/g)) {
    const use = seriesSpec(m[1]!, known)
    if (!use) continue
    for (const matcher of m[2]!.matchAll(/(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)) {
      const [, label, op, value] = matcher
      const allowed = [...use.spec.labels, ...TARGET_LABELS, ...(use.bucket ? ['le'] : [])]
      if (!allowed.includes(label!)) problems.push(`${m[1]}: no label "${label}"`)
      const values = use.spec.values?.[label!]
      if (values && op === '=' && !values.includes(value!)) {
        problems.push(`${m[1]}: ${label}="${value}" is never exposed`)
      }
    }
  }

  // Metric names: identifiers left once strings, matchers, ranges and grouping lists are gone,
  // and that are not function calls.
  const bare = text
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
  const grouping = /\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g
  const grouped = [...bare.matchAll(grouping)].flatMap((m) =>
    m[2]!
      .split(',')
      .map((l) => l.trim())
      .filter(Boolean),
  )
  for (const m of bare
    .replace(grouping, '$1')
    .matchAll(/(?<![\w:.])([a-zA-Z_:][\w:]*)(?![\w:])(?!\s*\()/g)) {
    const name = m[1]!
    if (KEYWORDS.has(name.toLowerCase()) || name === 'VAR') continue
    const use = seriesSpec(name, known)
    if (!use) {
      problems.push(`unknown metric "${name}"`)
      continue
    }
    metrics.add(use.base)
    for (const l of use.spec.labels) labelsInExpr.add(l)
    if (use.bucket) labelsInExpr.add('le')
  }
  for (const label of grouped) {
    if (!labelsInExpr.has(label)) problems.push(`grouping by "${label}", which no metric has`)
  }
  if (metrics.size === 0) problems.push(`no metric in "${expr}"`)
  return { metrics: [...metrics], problems }
}
