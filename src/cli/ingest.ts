// `asset-cache ingest <file.tar.gz> --template NAME [--commit SHA] [--untracked]`. The template
// must be one the applied manifest tracks: a mistyped name would otherwise create a template
// that stays pending. `--untracked` keeps a hand-made one on purpose (never counted against
// readiness; `asset-cache forget NAME` removes it).
import { type FileHandle, open } from 'node:fs/promises'
import { pino } from 'pino'
import { createAttester } from '../attest/sign.js'
import { printableName } from '../bundle/names.js'
import { ingest } from '../cache/ingest.js'
import { DEFAULT_ALLOW, DEFAULT_REQUIRE, isTemplateName } from '../config.js'
import { isTracked, type TemplateRow } from '../db/index.js'
import { capReasonEntry } from '../db/versions.js'
import { AppError } from '../errors.js'
import { isObjectId, OBJECT_ID_MESSAGE } from '../gitea/object-id.js'
import { createLogger } from '../log.js'
import type { Runtime } from '../runtime.js'
import { printable } from './format.js'

export interface IngestCliOptions {
  template: string
  commit?: string
  untracked?: boolean
}

/** The template to ingest into, or UNTRACKED_TEMPLATE / INVALID_ARGUMENT saying what to do. */
function ingestTarget(rt: Runtime, opts: IngestCliOptions): TemplateRow {
  const { index, config } = rt
  const name = opts.template
  const existing = index.templates.get(name)
  if (existing && isTracked(existing)) return existing
  if (!opts.untracked) {
    const tracked = index.templates.tracked().map((t) => t.name)
    const pending = config.templates.some((s) => s.name === name)
      ? ` It is in ASSET_CACHE_TEMPLATES but not applied yet: restart serve or run \`asset-cache templates sync\`.`
      : ''
    throw new AppError(
      'UNTRACKED_TEMPLATE',
      `template ${JSON.stringify(name)} is not tracked; ${
        tracked.length ? `tracked: ${tracked.join(', ')}` : 'no template is tracked'
      }.${pending} Pass --untracked to keep a template the manifest does not name.`,
      { template: name, tracked },
    )
  }
  if (!isTemplateName(name)) {
    throw new AppError(
      'INVALID_ARGUMENT',
      `--template: ${JSON.stringify(name)} is not a template name (lowercase letters, digits, ".", "_" or "-")`,
    )
  }
  if (existing && existing.removedAt !== null) {
    throw new AppError(
      'UNTRACKED_TEMPLATE',
      `template ${name} was removed from the manifest: add it back, or \`asset-cache forget ${name}\` first`,
      { template: name },
    )
  }
  return (
    existing ??
    index.templates.ensureLocal(name, { allow: DEFAULT_ALLOW, require: DEFAULT_REQUIRE }, rt.now())
  )
}

const UNREADABLE: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a directory in the path is a file',
}

/**
 * Opens the archive before anything else (no data directory is touched for a mistyped path);
 * INPUT_UNREADABLE names the file and why. A FIFO is fine: the archive may be streamed in.
 */
export async function openArchive(file: string): Promise<FileHandle> {
  const fail = (code: string | undefined): never => {
    throw new AppError(
      'INPUT_UNREADABLE',
      `cannot read the archive ${file}: ${UNREADABLE[code ?? ''] ?? code ?? 'unreadable'}`,
      { file },
    )
  }
  let handle: FileHandle
  try {
    handle = await open(file, 'r')
  } catch (err) {
    return fail((err as NodeJS.ErrnoException).code)
  }
  if ((await handle.stat()).isDirectory()) {
    await handle.close()
    fail('EISDIR')
  }
  return handle
}

/** Prints the digest (stdout) or the rejection (stderr); returns the exit code. */
export async function ingestCommand(
  rt: Runtime,
  archive: FileHandle,
  opts: IngestCliOptions,
): Promise<number> {
  if (opts.commit !== undefined && !isObjectId(opts.commit)) {
    throw new AppError(
      'INVALID_ARGUMENT',
      `--commit: ${OBJECT_ID_MESSAGE} (SHA-1 or SHA-256 repository), got ${printable(JSON.stringify(opts.commit), 80)}`,
    )
  }
  const template = ingestTarget(rt, opts)
  const result = await ingest(
    {
      index: rt.index,
      store: rt.store,
      spoolDir: rt.spoolDir,
      limits: rt.config.limits,
      archivePrefix: rt.config.archivePrefix,
      now: rt.now,
      attester: rt.config.signingKey
        ? createAttester({
            index: rt.index,
            key: rt.config.signingKey,
            // A signing failure is reported on stderr: stdout carries the digest alone.
            logger: createLogger('warn', pino.destination({ fd: 2, sync: true })),
            now: rt.now,
          })
        : null,
    },
    {
      template,
      archive: archive.createReadStream(),
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
