// Metrics of the peer traffic (delivery fan-out and peer fill), registered on a Metrics' own
// registry the first time they are asked for (Metrics.peers()).
import { Counter, Histogram, type Registry } from 'prom-client'

/**
 * delivered: a peer answered 2xx; refused: a peer answered another 4xx (its own secret or limits
 * disagree: not retried); failed: no 2xx after every attempt; dropped: too many deliveries in
 * flight to forward this one (reconcile on the peers catches up).
 */
export type ForwardOutcome = 'delivered' | 'refused' | 'failed' | 'dropped'

/**
 * filled: bytes from a peer matched the digest and were stored; not_found: no peer has it (or
 * lets this credential read it); failed: a peer answered with bytes that did not match, were too
 * large, or did not arrive in time; busy: too many fills in flight (answered as not found).
 */
export type FillOutcome = 'filled' | 'not_found' | 'failed' | 'busy'

export interface PeerMetrics {
  forwards: Counter<'outcome'>
  fills: Counter<'outcome'>
  fillBytes: Counter<string>
  fillSeconds: Histogram<string>
}

/** Registers the peer metrics on `registry`: ask once per registry. */
export function peerMetrics(registry: Registry): PeerMetrics {
  const registers = [registry]
  const m: PeerMetrics = {
    forwards: new Counter({
      name: 'asset_cache_peer_forwards_total',
      help: 'Webhook deliveries forwarded to a peer replica, by outcome (one per peer)',
      labelNames: ['outcome'],
      registers,
    }),
    fills: new Counter({
      name: 'asset_cache_peer_fills_total',
      help: 'Bundles and blobs asked of peer replicas because this one lacked them, by outcome',
      labelNames: ['outcome'],
      registers,
    }),
    fillBytes: new Counter({
      name: 'asset_cache_peer_fill_bytes_total',
      help: 'Bytes stored from peer replicas after they matched their digest',
      registers,
    }),
    fillSeconds: new Histogram({
      name: 'asset_cache_peer_fill_seconds',
      help: 'Time to fill one digest from the peers, whatever the outcome',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
  }
  for (const o of ['delivered', 'refused', 'failed', 'dropped']) m.forwards.inc({ outcome: o }, 0)
  for (const o of ['filled', 'not_found', 'failed', 'busy']) m.fills.inc({ outcome: o }, 0)
  return m
}
