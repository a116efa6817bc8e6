// `npm run bench [-- --smoke] [--only id,…] [--json PATH] [--profile]`: measures the claims in
// bench/results/README.md, each as a ratio against a reference measured in the same run, prints
// one table and writes it as JSON. Installs nothing; rows needing a missing tool are skipped.
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { BenchContext } from './lib/context.js'
import { renderSelfTime } from './lib/cpuprofile.js'
import { failed, machine, type Report, type Row, renderTable, writeReport } from './lib/report.js'
import { ROOT, serverCommand } from './lib/server.js'
import { findTools, INSTALL_HINT } from './lib/tools.js'
import { ROW_IDS, ROWS } from './rows/index.js'

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      smoke: { type: 'boolean', default: false },
      only: { type: 'string' },
      json: { type: 'string' },
      profile: { type: 'boolean', default: false },
    },
  })
  const only = values.only
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  const unknown = only?.filter((id) => !ROW_IDS.includes(id)) ?? []
  if (unknown.length > 0) {
    process.stderr.write(`unknown row id(s): ${unknown.join(', ')}; known: ${ROW_IDS.join(', ')}\n`)
    return 2
  }
  const mode = values.smoke ? 'smoke' : 'full'
  const stamp = new Date()
    .toISOString()
    .replaceAll(':', '-')
    .replace(/\.\d+Z$/, 'Z')
  const profileDir = values.profile ? join(ROOT, 'bench/results/profiles', stamp) : undefined
  const tools = findTools()
  if (!tools.nginx || !tools.wrk) {
    process.stderr.write(
      `nginx or wrk missing (nginx: ${tools.nginx ?? 'no'}, wrk: ${tools.wrk ?? 'no'}): their rows are skipped. Install with: ${INSTALL_HINT}\n`,
    )
  }
  const ctx = new BenchContext({ smoke: values.smoke, tools, profileDir })
  const started = new Date()
  const rows: Row[] = []
  try {
    for (const { spec, run } of ROWS) {
      if (only && !only.includes(spec.id)) continue
      const t0 = Date.now()
      process.stderr.write(`· ${spec.id} …`)
      let row: Row
      try {
        row = await run(ctx)
      } catch (err) {
        row = failed(spec, err)
        process.stderr.write(` ${(err as Error).stack ?? String(err)}\n`)
      }
      rows.push(row)
      process.stderr.write(` ${row.status} (${Math.round((Date.now() - t0) / 1000)} s)\n`)
    }
  } finally {
    await ctx.close()
  }
  const finished = new Date()
  const report: Report = {
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationS: Math.round((finished.getTime() - started.getTime()) / 1000),
    mode,
    server: serverCommand(),
    machine: machine(),
    rows,
  }
  process.stdout.write(
    `\nasset-cache bench (${mode}, ${report.durationS} s, server: ${report.server})\n`,
  )
  process.stdout.write(`${renderTable(rows)}\n`)
  const results = join(ROOT, 'bench/results')
  const paths = values.json
    ? [values.json]
    : mode === 'full'
      ? [join(results, 'latest.json'), join(results, `${stamp}.json`)]
      : [join(results, 'latest-smoke.json')]
  for (const path of paths) writeReport(path, report)
  process.stdout.write(`\nwritten: ${paths.join(', ')}\n`)
  if (profileDir) {
    for (const file of readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'))) {
      process.stdout.write(`\n${renderSelfTime(join(profileDir, file), 20)}\n`)
    }
  }
  return rows.some((r) => r.status === 'error') ? 1 : 0
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`)
    process.exitCode = 1
  },
)
