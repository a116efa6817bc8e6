// `asset-cache ls [TEMPLATE]`: templates with what they serve, their status and last error, or one
// template's history with each version's status and rejection reason. Reads the index read-only
// (cli/read-index.ts): it writes nothing.
import { type AdminReadDeps, listTemplates } from '../admin/views.js'
import { age, shortDigest, shortSha, table } from './format.js'

export function lsCommand(
  deps: AdminReadDeps,
  name: string | undefined,
  opts: { json?: boolean },
): number {
  const { index } = deps
  if (name === undefined) {
    const views = listTemplates(deps)
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(views, null, 2)}\n`)
      return 0
    }
    const lines = [['TEMPLATE', 'REPO', 'REF', 'STATUS', 'COMMIT', 'DIGEST', 'SINCE', 'LAST ERROR']]
    for (const t of views) {
      lines.push([
        t.name +
          (t.removed ? ' (removed)' : t.tracked ? '' : ' (untracked)') +
          (t.pinned ? ' (pinned)' : ''),
        t.repo ?? '-',
        t.ref ?? '-',
        t.health,
        shortSha(t.commit),
        shortDigest(t.digest),
        age(t.since),
        t.lastError ? `${t.lastError.code}: ${oneLine(t.lastError.detail ?? '')}` : '-',
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
      v.reasonCode ? `${v.reasonCode}: ${oneLine(v.reasonDetail ?? '')}` : '',
    ])
  }
  process.stdout.write(`${table(lines)}\n`)
  return 0
}

/** A reason detail on one bounded line (details may quote archive entry names). */
function oneLine(text: string, max = 120): string {
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ')
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}
