// `asset-cache ls [TEMPLATE]`: templates with what they serve, their status and last error, or one
// template's history with each version's status and rejection reason. Reads the index read-only
// (cli/read-index.ts): it writes nothing. The views are the admin API's (admin/views.ts): a
// version whose bundle GC removed is marked evicted, as GET /v1/admin/templates/{name} does.
import { type AdminReadDeps, listTemplates, templateDetail } from '../admin/views.js'
import { EXIT_FAILED, EXIT_OK } from './exit.js'
import { age, shortDigest, shortSha, table } from './format.js'

/** `ls NAME` lists the whole history. */
const ALL_VERSIONS = 1_000_000

export function lsCommand(
  deps: AdminReadDeps,
  name: string | undefined,
  opts: { json?: boolean },
): number {
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
  const detail = templateDetail(deps, name, ALL_VERSIONS)
  if (!detail) {
    process.stderr.write(
      `asset-cache: UNKNOWN_TEMPLATE: no template named ${JSON.stringify(name)}\n`,
    )
    return EXIT_FAILED
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(detail, null, 2)}\n`)
    return EXIT_OK
  }
  const lines = [['', 'COMMIT', 'STATUS', 'DIGEST', 'FILES', 'BYTES', 'WHEN', 'REASON']]
  for (const v of detail.versions) {
    lines.push([
      v.current ? '*' : '',
      shortSha(v.commit),
      v.status + (v.evicted ? ' (evicted)' : '') + (v.pinned ? ' (pinned)' : ''),
      shortDigest(v.digest),
      v.fileCount === null ? '-' : String(v.fileCount),
      v.bundleBytes === null ? '-' : String(v.bundleBytes),
      age(v.readyAt ?? v.createdAt),
      v.reasonCode ? `${v.reasonCode}: ${oneLine(v.reasonDetail ?? '')}` : '',
    ])
  }
  process.stdout.write(`${table(lines)}\n`)
  return EXIT_OK
}

/** A reason detail on one bounded line (details may quote archive entry names). */
function oneLine(text: string, max = 120): string {
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ')
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}
