// `asset-cache ingest <file.tar.gz> --template NAME [--commit SHA]`
import { createReadStream } from 'node:fs'
import { printableName } from '../bundle/names.js'
import { DEFAULT_ALLOW, DEFAULT_REQUIRE } from '../config.js'
import { capReasonEntry } from '../db/versions.js'
import { ingest } from '../ingest.js'
import type { Runtime } from '../runtime.js'
import { printable } from './format.js'

export interface IngestCliOptions {
  template: string
  commit?: string
}

/** Prints the digest (stdout) or the rejection (stderr); returns the exit code. */
export async function ingestCommand(
  rt: Runtime,
  file: string,
  opts: IngestCliOptions,
): Promise<number> {
  const template =
    rt.index.templates.get(opts.template) ??
    rt.index.templates.ensureLocal(opts.template, {
      allow: DEFAULT_ALLOW,
      require: DEFAULT_REQUIRE,
    })
  const result = await ingest(
    { index: rt.index, store: rt.store, spoolDir: rt.spoolDir, limits: rt.config.limits },
    {
      template,
      archive: createReadStream(file),
      ...(opts.commit ? { expectedCommit: opts.commit } : {}),
      source: 'cli',
    },
  )
  if (result.status === 'ready') {
    process.stdout.write(`${result.digest}\n`)
    process.stderr.write(
      `${result.template}: ready, ${result.fileCount} files, ${result.size} bytes${result.reused ? ' (unchanged content, digest reused)' : ''}\n`,
    )
    return 0
  }
  process.stderr.write(
    `${printable(result.template)}: rejected ${result.code}: ${printable(result.detail)}${result.entry ? ` (entry: ${printableName(capReasonEntry(result.entry))})` : ''}\n`,
  )
  return 1
}
