// deploy/grafana/asset-cache.json and deploy/prometheus/alerts.yaml use only metrics asset-cache
// exposes, with their real labels; every alert has a runbook section in docs/operations.md.
import { describe, expect, it } from 'vitest'
import { read, readYaml } from './files.js'
import { checkExpr, METRICS, SCRAPE_SERIES } from './metrics-spec.js'

interface Target {
  expr?: string
  datasource?: { uid?: string }
}
interface Panel {
  id: number
  type: string
  title: string
  datasource?: { uid?: string }
  targets?: Target[]
  panels?: Panel[]
}
interface Dashboard {
  schemaVersion: number
  uid: string
  title: string
  __inputs: { name: string; type: string; pluginId: string }[]
  panels: Panel[]
  templating: { list: { query?: { query?: string } | string; datasource?: { uid?: string } }[] }
}

/** Grafana's import placeholder for the chosen data source. */
const DS = ['$', '{DS_PROMETHEUS}'].join('')

const dashboard = () => JSON.parse(read('deploy/grafana/asset-cache.json')) as Dashboard

const allPanels = (panels: Panel[]): Panel[] =>
  panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])])

/** Problems of the dashboard's queries, and the metrics they use. */
function dashboardUse(d: Dashboard): { metrics: Set<string>; problems: string[] } {
  const metrics = new Set<string>()
  const problems: string[] = []
  for (const panel of allPanels(d.panels).filter((p) => p.type !== 'row')) {
    if (!panel.targets?.length) problems.push(`panel "${panel.title}" has no query`)
    for (const target of panel.targets ?? []) {
      const use = checkExpr(target.expr ?? '', METRICS)
      for (const m of use.metrics) metrics.add(m)
      problems.push(...use.problems.map((p) => `panel "${panel.title}": ${p}`))
    }
  }
  for (const variable of d.templating.list) {
    const q = typeof variable.query === 'string' ? variable.query : (variable.query?.query ?? '')
    for (const m of q.matchAll(/label_values\(\s*([\w:]+)/g)) {
      if (!(m[1]! in METRICS)) problems.push(`variable query: unknown metric "${m[1]}"`)
    }
  }
  return { metrics, problems }
}

describe('grafana dashboard', () => {
  it('is an importable dashboard with a DS_PROMETHEUS input used by every query', () => {
    const d = dashboard()
    expect(d.schemaVersion).toBeGreaterThanOrEqual(36)
    expect(d.uid).toBe('asset-cache')
    expect(d.__inputs).toContainEqual(
      expect.objectContaining({
        name: 'DS_PROMETHEUS',
        type: 'datasource',
        pluginId: 'prometheus',
      }),
    )
    const panels = allPanels(d.panels)
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length)
    for (const panel of panels.filter((p) => p.type !== 'row')) {
      expect(panel.datasource?.uid, panel.title).toBe(DS)
      for (const t of panel.targets ?? []) expect(t.datasource?.uid).toBe(DS)
    }
  })

  it('queries only exposed metrics, with their real labels', () => {
    expect(dashboardUse(dashboard()).problems).toEqual([])
  })

  it('shows every metric asset-cache exposes', () => {
    const { metrics } = dashboardUse(dashboard())
    expect(Object.keys(METRICS).filter((m) => !metrics.has(m))).toEqual([])
  })

  it('the check catches a misspelt metric, a bare histogram, a wrong label and a wrong value', () => {
    const d = dashboard()
    const target = allPanels(d.panels).find((p) => p.targets?.length)!.targets![0]!
    for (const expr of [
      'sum(rate(asset_cache_jobs_totl[5m]))',
      'rate(asset_cache_job_phase_seconds[5m])',
      'sum by (outcom) (asset_cache_jobs_total)',
      'asset_cache_queue_depth{stat="queued"}',
      'asset_cache_jobs_total{outcome="failure"}',
      'up',
    ]) {
      target.expr = expr
      expect(dashboardUse(d).problems, expr).not.toEqual([])
    }
  })
})

interface Rule {
  alert?: string
  expr?: string
  for?: string
  labels?: { severity?: string }
  annotations?: { summary?: string; runbook?: string }
}
interface RuleFile {
  groups: { name: string; rules: Rule[] }[]
}

const ALERTS = [
  'Down',
  'TemplatesNotReady',
  'ReconcileLagHigh',
  'GiteaErrors',
  'JobsFailing',
  'RejectedVersions',
  'StoreOverBudget',
  'QueueBacklog',
].map((name) => `AssetCache${name}`)

const rules = () => {
  const [file] = readYaml('deploy/prometheus/alerts.yaml') as RuleFile[]
  return file!.groups.flatMap((g) => g.rules)
}

function ruleProblems(list: Rule[], operations: string): string[] {
  const problems: string[] = []
  const names = list.map((r) => r.alert ?? '(no name)')
  if ([...names].sort().join() !== [...ALERTS].sort().join()) {
    problems.push(`alerts are ${names.join(', ')}`)
  }
  for (const rule of list) {
    const name = rule.alert ?? '(no name)'
    const use = checkExpr(rule.expr ?? '', { ...METRICS, ...SCRAPE_SERIES })
    problems.push(...use.problems.map((p) => `${name}: ${p}`))
    if (rule.for !== undefined && !/^(\d+[smhd])+$/.test(rule.for)) {
      problems.push(`${name}: for "${rule.for}"`)
    }
    if (!['critical', 'warning', 'info'].includes(rule.labels?.severity ?? '')) {
      problems.push(`${name}: severity "${rule.labels?.severity}"`)
    }
    if (!rule.annotations?.summary) problems.push(`${name}: no summary`)
    if (rule.annotations?.runbook !== `docs/operations.md#${name.toLowerCase()}`) {
      problems.push(`${name}: runbook "${rule.annotations?.runbook}"`)
    }
    if (!new RegExp(`^#{2,4} ${name}$`, 'm').test(operations)) {
      problems.push(`${name}: no "${name}" section in docs/operations.md`)
    }
  }
  return problems
}

describe('prometheus alerts', () => {
  const operations = read('docs/operations.md')

  it('are the agreed alerts, on exposed metrics, each with a severity and a runbook section', () => {
    expect(ruleProblems(rules(), operations)).toEqual([])
  })

  it('the check catches a missing alert, an unknown metric, a bad severity and a missing runbook', () => {
    const broken = (change: (list: Rule[]) => void) => {
      const list = rules()
      change(list)
      return ruleProblems(list, operations)
    }
    expect(broken((l) => l.pop())).not.toEqual([])
    expect(broken((l) => (l[1]!.expr = 'asset_cache_template_not_ready > 0'))).not.toEqual([])
    expect(broken((l) => (l[1]!.labels = { severity: 'page' }))).not.toEqual([])
    expect(broken((l) => (l[1]!.annotations = { summary: 'x' }))).not.toEqual([])
    expect(ruleProblems(rules(), operations.replace(/^#+ AssetCacheDown$/m, ''))).not.toEqual([])
  })
})
