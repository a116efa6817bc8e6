// Reads a canonical bundle (or any plain tar) for a consumer such as the provisioner client, under
// the same block-level audit and path rules as the archive reader: no top-level directory is
// stripped, every regular file is kept, links are refused, directories are passed over.
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { PassThrough, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import tar from 'tar-stream'
import { RejectError } from '../errors.js'
import { TarAuditor } from './audit.js'
import type { ManifestEntry } from './canonicalize.js'
import { handleEntries } from './entries.js'
import type { AuditedEntry } from './entry-rules.js'
import { consume, type EntryStream, Failure, tarStreamFailure } from './failure.js'
import { type BundleLimits, resolveLimits } from './limits.js'
import { ByteMeter } from './meter.js'

export type BundleFile = Omit<ManifestEntry, 'sha256'>

export interface ReadBundleOptions {
  /** Called for each file in archive order; must consume or abandon `body` (the rest is drained). */
  onFile(file: BundleFile, body: Readable): Promise<void>
  /** maxUnpackedBytes bounds the whole tar; the entry, file and path limits apply as they are. */
  limits?: Partial<BundleLimits>
  signal?: AbortSignal
}

/** Resolves with the files read, each with the sha256 of the body handed to `onFile`. */
export async function readBundle(
  bundle: Readable,
  options: ReadBundleOptions,
): Promise<ManifestEntry[]> {
  const limits = resolveLimits(options.limits)
  const { signal } = options
  signal?.throwIfAborted()
  const failure = new Failure()
  const meter = new ByteMeter({ limit: limits.maxUnpackedBytes, code: 'UNPACKED_TOO_LARGE' })
  const auditor = new TarAuditor({ limits, isKept: () => true, stripRoot: false })
  const extract = tar.extract()
  for (const stage of [bundle, meter, auditor]) stage.on('error', (err) => failure.raise(err))
  extract.on('error', (err) => failure.raise(tarStreamFailure(err)))
  const onAbort = () => failure.raise(signal?.reason)
  signal?.addEventListener('abort', onAbort, { once: true })

  const files: ManifestEntry[] = []
  const settled = handleEntries(extract, auditor, failure, async (entry, stream) => {
    if (!entry.keep) return consume(stream, () => undefined)
    files.push(await deliver(entry, stream, options.onFile))
  })
  try {
    await pipeline(bundle, meter, auditor, extract, { signal: failure.signal })
    await settled()
    if (failure.error) throw failure.error
    return files
  } catch (err) {
    throw failure.error ?? err
  } finally {
    signal?.removeEventListener('abort', onAbort)
  }
}

async function deliver(
  entry: AuditedEntry,
  stream: EntryStream,
  onFile: ReadBundleOptions['onFile'],
): Promise<ManifestEntry> {
  const hash = createHash('sha256')
  const body = new PassThrough()
  let size = 0
  const feeding = consume(stream, (chunk) => {
    size += chunk.length
    hash.update(chunk)
    return body.write(chunk) ? undefined : once(body, 'drain').then(() => undefined)
  }).then(
    () => body.end(),
    (err: Error) => {
      body.destroy(err)
      throw err
    },
  )
  const { path, mode } = entry
  await Promise.all([
    feeding,
    onFile({ path, size: entry.size, mode }, body).then(() => body.resume()),
  ])
  if (size !== entry.size) throw new RejectError('TRUNCATED', 'body cut short', path)
  return { path, size, sha256: hash.digest('hex'), mode }
}
