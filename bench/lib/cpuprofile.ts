// Summarizes a V8 .cpuprofile (node --cpu-prof): self time per function, biggest first.
import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { ROOT } from './server.js'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }
  hitCount?: number
}

interface CpuProfile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples?: number[]
  timeDeltas?: number[]
}

export interface SelfTime {
  fn: string
  where: string
  ms: number
  percent: number
}

/** Self time per function (summed over every call site), top `limit`. */
export function topSelfTime(file: string, limit = 20): { totalMs: number; rows: SelfTime[] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const selfUs = new Map<number, number>()
  const samples = profile.samples ?? []
  const deltas = profile.timeDeltas ?? []
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i] is the time before sample i; attribute the next delta to it.
    const us = deltas[i + 1] ?? 0
    selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + us)
  }
  const totals = new Map<string, SelfTime>()
  let totalUs = 0
  for (const [id, us] of selfUs) {
    const node = byId.get(id)
    if (!node) continue
    totalUs += us
    const { functionName, url, lineNumber } = node.callFrame
    const path = url.startsWith('file://') ? relative(ROOT, new URL(url).pathname) : url
    const fn = functionName || '(anonymous)'
    const where = path ? `${path}:${lineNumber + 1}` : ''
    const key = `${fn}@${where}`
    const entry = totals.get(key) ?? { fn, where, ms: 0, percent: 0 }
    entry.ms += us / 1000
    totals.set(key, entry)
  }
  const rows = [...totals.values()]
    .sort((a, b) => b.ms - a.ms)
    .slice(0, limit)
    .map((r) => ({
      ...r,
      ms: Math.round(r.ms),
      percent: Math.round((r.ms / (totalUs / 1000)) * 1000) / 10,
    }))
  return { totalMs: Math.round(totalUs / 1000), rows }
}

export function renderSelfTime(file: string, limit = 20): string {
  const { totalMs, rows } = topSelfTime(file, limit)
  const lines = rows.map(
    (r) =>
      `  ${String(r.percent).padStart(5)}%  ${String(r.ms).padStart(7)} ms  ${r.fn}  ${r.where}`,
  )
  return [`${relative(ROOT, file)} (${totalMs} ms sampled)`, ...lines].join('\n')
}
