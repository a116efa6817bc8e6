// One row per measured claim: our figure, the reference measured in the same run, their ratio,
// the target and the verdict. Printed as one table and written as JSON.
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { dirname } from 'node:path'

export type RowStatus = 'pass' | 'fail' | 'skipped' | 'error'

export interface Row {
  id: string
  title: string
  /** Unit of `ours` and `reference`. */
  unit: string
  ours: number | null
  reference: number | null
  /** What the reference is (nginx, floor, …). */
  referenceLabel: string
  /** As the target states it (e.g. ours/nginx, or direct/cache for "× faster"). */
  ratio: number | null
  target: string
  status: RowStatus
  note?: string
  /** Everything else measured for the row (p50s, sizes, raw counts). */
  detail?: Record<string, unknown>
}

export interface RowSpec {
  id: string
  title: string
  unit: string
  referenceLabel: string
  target: string
}

export const skipped = (spec: RowSpec, note: string): Row => ({
  ...spec,
  ours: null,
  reference: null,
  ratio: null,
  status: 'skipped',
  note,
})

export const failed = (spec: RowSpec, err: unknown): Row => ({
  ...spec,
  ours: null,
  reference: null,
  ratio: null,
  status: 'error',
  note: (err as Error).message ?? String(err),
})

const fmt = (value: number | null, unit = ''): string => {
  if (value === null || Number.isNaN(value)) return '–'
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2
  return `${value.toFixed(digits)}${unit ? ` ${unit}` : ''}`
}

export function renderTable(rows: Row[]): string {
  const header = ['id', 'row', 'ours', 'reference', 'ratio', 'target', 'status']
  const lines = rows.map((r) => [
    r.id,
    r.title,
    fmt(r.ours, r.unit),
    r.reference === null ? '–' : `${fmt(r.reference, r.unit)} (${r.referenceLabel})`,
    r.ratio === null ? '–' : `${fmt(r.ratio)}×`,
    r.target,
    r.status.toUpperCase(),
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)))
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
  const notes = rows
    .filter((r) => r.note)
    .map((r) => `  ${r.id}: ${r.note}`)
    .join('\n')
  return [
    row(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...lines.map(row),
    ...(notes ? ['', 'notes:', notes] : []),
  ].join('\n')
}

export interface Report {
  startedAt: string
  finishedAt: string
  durationS: number
  mode: 'full' | 'smoke'
  server: string
  machine: { node: string; cpus: number; cpuModel: string; loadavg: number[] }
  rows: Row[]
}

export function machine(): Report['machine'] {
  return {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    loadavg: loadavg().map((n) => Math.round(n * 100) / 100),
  }
}

export function writeReport(path: string, report: Report): void {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`)
}
