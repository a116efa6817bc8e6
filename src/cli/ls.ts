// `asset-cache ls [TEMPLATE]`: templates with what they serve, their status and last error, or one
// template's history with each version's status and rejection reason. Reads the index read-only
// (cli/read-index.ts): it writes nothing. The views are the admin API's (admin/views.ts): a
// version whose bundle GC removed is marked evicted, as GET /v1/admin/templates/{name} does.
import { type AdminReadDeps, listTemplates, templateDetail } from '../admin/views.js'
import { printableName } from '../bundle/names.js'
import { EXIT_FAILED, EXIT_OK } from './exit.js'
import { age, printable, printableJson, shortDigest, shortSha, table } from './format.js'

/** `ls NAME` lists the whole history. */
const ALL_VERSIONS = 1_000_000

export function lsCommand(
  deps: AdminReadDeps,
  name: string | undefined,
  opts: { json?: boolean },
): number {
  // The command's clock: ages are measured from when it runs.
  const now = Date.now()
  if (name === undefined) {
    const views = listTemplates(deps)
    if (opts.json) {
      process.stdout.write(`${printableJson(views)}\n`)
      return 0
    }
    const lines = [['TEMPLATE', 'REPO', 'REF', 'STATUS', 'COMMIT', 'DIGEST', 'SINCE', 'LAST ERROR']]
    for (const t of views) {
      lines.push([
        printable(t.name, 120) +
          (t.removed ? ' (removed)' : t.tracked ? '' : ' (untracked)') +
          (t.pinned ? ' (pinned)' : ''),
        t.repo === null ? '-' : printable(t.repo, 120),
        t.ref === null ? '-' : printable(t.ref, 120),
        t.health + (t.branchDeleted ? ' (branch deleted)' : ''),
        shortSha(t.commit),
        shortDigest(t.digest),
        age(t.since, now),
        t.lastError ? printable(`${t.lastError.code}: ${t.lastError.detail ?? ''}`, 120) : '-',
      ])
    }
    process.stdout.write(`${table(lines)}\n`)
    const advice = views.filter((t) => t.lastError && !t.removed)
    if (advice.length > 0) {
      process.stdout.write('\nWhat to do:\n')
      for (const t of advice)
        process.stdout.write(
          `  ${printable(t.name, 120)}: ${printable(t.lastError!.code, 64)}: ${t.lastError!.advice}\n`,
        )
    }
    return 0
  }
  const detail = templateDetail(deps, name, ALL_VERSIONS)
  if (!detail) {
    process.stderr.write(
      `asset-cache: UNKNOWN_TEMPLATE: no template named ${printableJson(name)}\n`,
    )
    return EXIT_FAILED
  }
  if (opts.json) {
    process.stdout.write(`${printableJson(detail)}\n`)
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
      age(v.readyAt ?? v.createdAt, now),
      v.reasonCode ? reason(v.reasonCode, v.reasonDetail, v.reasonEntry) : '',
    ])
  }
  process.stdout.write(`${table(lines)}\n`)
  return EXIT_OK
}

/**
 * A version's reason on one line: code, detail and the entry it names. The entry is hostile text
 * from an archive: printableName writes control, escape, bidi and line-breaking characters as
 * `\u{…}`, so it can neither drive the terminal nor hide what it is.
 */
function reason(code: string, detail: string | null, entry: string | null): string {
  const named = entry === null ? '' : ` (entry: ${printableName(bounded(entry, 200))})`
  return `${printable(code, 64)}: ${printable(detail ?? '', 120)}${named}`
}

function bounded(text: string, max: number): string {
  const points = Array.from(text)
  return points.length > max ? `${points.slice(0, max - 1).join('')}…` : text
}
