// The peer services of one replica: delivery fan-out and peer fill over ASSET_CACHE_PEERS.
import type { Config } from '../config.js'
import type { Index } from '../db/index.js'
import type { Logger } from '../log.js'
import type { ContentStore } from '../store/index.js'
import { PeerFill } from './fill.js'
import { DeliveryForwarder } from './forward.js'
import type { PeerMetrics } from './metrics.js'
import { peerUrls } from './peer-list.js'

export { type FillResult, NO_FILL_HEADER } from './fill.js'
export { FORWARDED_HEADER, forwardedHeaders } from './forward.js'
export { peerMetrics } from './metrics.js'

export interface Peers {
  forwarder: DeliveryForwarder
  fill: PeerFill
  /** The peers now (a DNS name is looked up again), this replica excluded. */
  list(): Promise<URL[]>
  close(graceMs?: number): Promise<void>
}

/**
 * The largest canonical bundle the limits allow: every kept byte, a header block and padding per
 * entry, the end-of-archive blocks. A peer's body past it is refused.
 */
export function maxBundleBytes(limits: Config['limits']): number {
  return limits.maxUnpackedBytes + limits.maxEntries * 1024 + 1024
}

export interface PeersOptions {
  config: Config
  index: Index
  store: ContentStore
  logger: Logger
  /** The peer metrics (registered when first asked for: only with ASSET_CACHE_PEERS). */
  metrics: () => PeerMetrics
  /** The port this replica listens on, known once it listens (to leave itself out). */
  ownPort: () => number
  now: () => number
}

/** Null without ASSET_CACHE_PEERS. */
export function createPeers(o: PeersOptions): Peers | null {
  const spec = o.config.peers
  if (!spec) return null
  const metrics = o.metrics()
  const list = () => peerUrls(spec, o.ownPort())
  const forwarder = new DeliveryForwarder({ peers: list, logger: o.logger, metrics })
  const fill = new PeerFill({
    peers: list,
    store: o.store,
    index: o.index,
    logger: o.logger,
    metrics,
    maxBytes: maxBundleBytes(o.config.limits),
    limits: o.config.limits,
    now: o.now,
  })
  return { forwarder, fill, list, close: (graceMs) => forwarder.close(graceMs) }
}
