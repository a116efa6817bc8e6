// `asset-cache ls [TEMPLATE]`: templates with their current version, or one template's history.
import type { Runtime } from '../runtime.js'
import { age, shortDigest, shortSha, table } from './format.js'

export function lsCommand(rt: Runtime, name: string | undefined, opts: { json?: boolean }): number {
  const { index } = rt
  if (name === undefined) {
    const rows = index.templates.all().map((t) => {
      const current = t.currentVersionId === null ? null : index.versions.get(t.currentVersionId)
      const latest = index.versions.list(t.name, 1)[0] ?? null
      return { template: t, current, latest }
    })
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`)
      return 0
    }
    const lines = [['TEMPLATE', 'REPO', 'REF', 'STATUS', 'COMMIT', 'DIGEST', 'READY', 'LAST']]
    for (const { template: t, current, latest } of rows) {
      lines.push([
        t.name + (t.removedAt ? ' (removed)' : '') + (t.pinnedDigest ? ' (pinned)' : ''),
        t.repo ?? '(local)',
        t.ref ?? '-',
        current ? 'ready' : 'none',
        shortSha(current?.commit ?? null),
        shortDigest(t.pinnedDigest ?? current?.digest ?? null),
        age(current?.readyAt ?? null),
        latest && latest.id !== current?.id
          ? `${latest.status}${latest.reasonCode ? ` ${latest.reasonCode}` : ''}`
          : '-',
      ])
    }
    process.stdout.write(`${table(lines)}\n`)
    return 0
  }
  const template = index.templates.get(name)
  if (!template) {
    process.stderr.write(`unknown template "${name}"\n`)
    return 1
  }
  const versions = index.versions.list(name)
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ template, versions }, null, 2)}\n`)
    return 0
  }
  const lines = [['', 'COMMIT', 'STATUS', 'DIGEST', 'FILES', 'BYTES', 'WHEN', 'REASON']]
  for (const v of versions) {
    lines.push([
      v.id === template.currentVersionId ? '*' : '',
      shortSha(v.commit),
      v.status,
      shortDigest(v.digest),
      v.fileCount === null ? '-' : String(v.fileCount),
      v.bundleBytes === null ? '-' : String(v.bundleBytes),
      age(v.updatedAt),
      v.reasonCode ? `${v.reasonCode}: ${v.reasonDetail ?? ''}` : '',
    ])
  }
  process.stdout.write(`${table(lines)}\n`)
  return 0
}
