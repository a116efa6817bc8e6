// Every row of the bench, in the order they run and print.
import type { BenchContext } from '../lib/context.js'
import type { Row, RowSpec } from '../lib/report.js'
import { bootStorm, bootStormRow } from './boot-storm.js'
import { burstRow, pushBurst } from './burst.js'
import { firstBoot, firstBootRow } from './first-boot.js'
import { indexSizeRow, resolveIndexSize } from './index-size.js'
import { ingest16m, ingestRow } from './ingest.js'
import { ociBlob4k, ociBlob256k, ociBlobRow, ociManifestP99, ociManifestRow } from './oci.js'
import { resolveP99, resolveRow } from './resolve.js'
import { peakRssSpec, rssRow } from './rss.js'
import { serve4k, serve256k, serveRow } from './serve.js'
import { webhookAck, webhookAckRow } from './webhook-ack.js'

/** Every row, in the order they run and print. */
export const ROWS: { spec: RowSpec; run: (ctx: BenchContext) => Promise<Row> }[] = [
  { spec: serve256k, run: (ctx) => serveRow(ctx, 'hot') },
  { spec: serve4k, run: (ctx) => serveRow(ctx, 'small') },
  { spec: resolveP99, run: resolveRow },
  { spec: ociBlob256k, run: (ctx) => ociBlobRow(ctx, 'hot') },
  { spec: ociBlob4k, run: (ctx) => ociBlobRow(ctx, 'small') },
  { spec: ociManifestP99, run: ociManifestRow },
  { spec: ingest16m, run: ingestRow },
  { spec: webhookAck, run: webhookAckRow },
  { spec: pushBurst, run: burstRow },
  { spec: peakRssSpec, run: rssRow },
  { spec: resolveIndexSize, run: indexSizeRow },
  { spec: firstBoot, run: firstBootRow },
  { spec: bootStorm, run: bootStormRow },
]

export const ROW_IDS = ROWS.map((r) => r.spec.id)
