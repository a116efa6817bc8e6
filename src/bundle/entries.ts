// Pairs each entry tar-stream emits with the auditor's record of it — same name, size and type, in
// the same order, or TAR_CORRUPT — and hands the pairs on one at a time, with backpressure: the
// next entry is released only when the handler is done with this one.
import type { Extract } from 'tar-stream'
import { RejectError } from '../errors.js'
import type { TarAuditor } from './audit.js'
import type { AuditedEntry } from './entry-rules.js'
import { type EntryStream, type Failure, tarStreamFailure } from './failure.js'

export type EntryHandler = (entry: AuditedEntry, stream: EntryStream) => Promise<void>

/** Wires `extract`'s entries to `handle`; the returned promise settles once the last one is done. */
export function handleEntries(
  extract: Extract,
  auditor: TarAuditor,
  failure: Failure,
  handle: EntryHandler,
): () => Promise<void> {
  let work = Promise.resolve()
  extract.on('entry', (header, stream, next) => {
    stream.on('error', (err) => failure.raise(tarStreamFailure(err)))
    const audited = auditor.queue.shift()
    if (
      audited === undefined ||
      audited.name !== header.name ||
      audited.size !== header.size ||
      audited.type !== header.type
    ) {
      failure.raise(new RejectError('TAR_CORRUPT', 'tar parsers disagree', header.name))
      return
    }
    work = work
      .then(() => (failure.error ? undefined : handle(audited, stream)))
      .then(
        () => next(),
        (err) => {
          failure.raise(err)
        },
      )
  })
  return () => work
}
