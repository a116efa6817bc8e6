// Start-up cleanup: a blob with no bundle row is what a crash between the store write and the
// index write leaves behind. It is never served; this removes it once it is old enough that no
// ingest in another process (a CLI ingest beside the server) can still be about to index it.
import { stat } from 'node:fs/promises'
import type { Index } from '../db/index.js'
import type { ContentStore } from '../store/index.js'

export interface OrphanReport {
  checked: number
  removed: string[]
  freedBytes: number
}

export async function removeOrphanBlobs(
  index: Index,
  store: ContentStore,
  options: { minAgeMs?: number; now: number },
): Promise<OrphanReport> {
  const minAgeMs = options.minAgeMs ?? 10 * 60_000
  const { now } = options
  const report: OrphanReport = { checked: 0, removed: [], freedBytes: 0 }
  for await (const blob of store.list()) {
    report.checked++
    if (index.bundles.get(blob.digest)) continue
    const st = await stat(store.contentPath(blob.digest)).catch(() => null)
    if (!st || now - st.mtimeMs < minAgeMs) continue
    // Re-check after the stat: an ingest may have indexed it meanwhile.
    if (index.bundles.get(blob.digest)) continue
    report.freedBytes += await store.remove(blob.digest)
    report.removed.push(blob.digest)
  }
  return report
}
