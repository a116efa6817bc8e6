// `asset-cache ls [TEMPLATE]`: templates with what they serve, their status and last error, or one
// template's history with each version's status and rejection reason.
import { listTemplates } from '../admin/views.js'
import { printableName } from '../bundle/names.js'
import type { Runtime } from '../runtime.js'
import { age, printable, printableJson, shortDigest, shortSha, table } from './format.js'

export function lsCommand(rt: Runtime, name: string | undefined, opts: { json?: boolean }): number {
  const { index } = rt
  if (name === undefined) {
    const views = listTemplates(rt)
    if (opts.json) {
      process.stdout.write(`${printableJson(views)}\n`)
      return 0
    }
    const lines = [['TEMPLATE', 'REPO', 'REF', 'STATUS', 'COMMIT', 'DIGEST', 'SINCE', 'LAST ERROR']]
    for (const t of views) {
      lines.push([
        printable(t.name, 120) + (t.removed ? ' (removed)' : '') + (t.pinned ? ' (pinned)' : ''),
        t.repo === null ? '(local)' : printable(t.repo, 120),
        t.ref === null ? '-' : printable(t.ref, 120),
        t.health,
        shortSha(t.commit),
        shortDigest(t.digest),
        age(t.since),
        t.lastError ? printable(`${t.lastError.code}: ${t.lastError.detail ?? ''}`, 120) : '-',
      ])
    }
    process.stdout.write(`${table(lines)}\n`)
    return 0
  }
  const template = index.templates.get(name)
  if (!template) {
    process.stderr.write(`unknown template ${printableJson(name)}\n`)
    return 1
  }
  const versions = index.versions.list(name)
  if (opts.json) {
    process.stdout.write(`${printableJson({ template, versions })}\n`)
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
      v.reasonCode ? reason(v.reasonCode, v.reasonDetail, v.reasonEntry) : '',
    ])
  }
  process.stdout.write(`${table(lines)}\n`)
  return 0
}

/**
 * A version's reason on one line: code, detail and the entry it names. The entry is hostile text
 * from an archive: printableName writes control, escape, bidi and line-breaking characters as
 * `\u{…}`, so it can neither drive the terminal nor hide what it is.
 */
function reason(code: string, detail: string | null, entry: string | null): string {
  const named = entry === null ? '' : ` (entry: ${printableName(bounded(entry, 200))})`
  return `${code}: ${printable(detail ?? '', 120)}${named}`
}

function bounded(text: string, max: number): string {
  const points = Array.from(text)
  return points.length > max ? `${points.slice(0, max - 1).join('')}…` : text
}
