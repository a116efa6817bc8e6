// Delivery fan-out: a delivery this replica verified and queued is sent once, unchanged, to every
// peer: the same body and the same signature, event and delivery headers, so each peer verifies it
// with the shared secret and de-duplicates it by delivery id as it does any delivery. The request
// carries FORWARDED_HEADER so that the peer does not forward it again; the header grants nothing
// (a peer still checks the signature), it only stops the fan-out. Sent after the answer, with a
// few retries; a peer that stays down catches up by its own reconcile.
import { request } from 'undici'
import type { Logger } from '../log.js'
import { DELIVERY_HEADERS, EVENT_HEADERS } from '../webhooks/headers.js'
import { SIGNATURE_HEADER_NAMES } from '../webhooks/signature.js'
import type { PeerMetrics } from './metrics.js'
import { peerHref } from './peer-list.js'

/** Marks a delivery forwarded by a replica: its receiver does not forward it again. */
export const FORWARDED_HEADER = 'x-asset-cache-forwarded'

/**
 * The request headers a forwarded delivery keeps, lower-case: everything a receiver reads (its
 * signature, event and delivery headers, from the lists it reads them by), the Gogs and SHA-1
 * signatures Gitea also sends, and the sender's content type, event type and user agent.
 */
export const FORWARDED_HEADERS = [
  'content-type',
  'user-agent',
  ...SIGNATURE_HEADER_NAMES,
  'x-gogs-signature',
  'x-hub-signature',
  ...EVENT_HEADERS,
  'x-gitea-event-type',
  ...DELIVERY_HEADERS,
]

export interface ForwarderOptions {
  peers: () => Promise<URL[]>
  logger: Logger
  metrics: PeerMetrics
  /** Attempts per peer (default 4), the first backoff (default 250 ms, doubled each time). */
  attempts?: number
  backoffMs?: number
  /** Deadline of one attempt (default 5 s: Gitea's own). */
  timeoutMs?: number
  /** Deliveries being forwarded at once; past it a delivery is dropped (default 64). */
  maxInFlight?: number
}

export class DeliveryForwarder {
  readonly #o: ForwarderOptions
  readonly #inFlight = new Set<Promise<void>>()
  #closed = false

  constructor(options: ForwarderOptions) {
    this.#o = options
  }

  /** Starts forwarding `body` with `headers` (already filtered); never throws, never waits. */
  forward(body: Uint8Array, headers: Record<string, string>, deliveryId: string | null): void {
    if (this.#closed) return
    if (this.#inFlight.size >= (this.#o.maxInFlight ?? 64)) {
      this.#o.metrics.forwards.inc({ outcome: 'dropped' })
      this.#o.logger.warn({ deliveryId }, 'peer forwarding: too many in flight; dropped')
      return
    }
    const done: Promise<void> = this.#send(body, headers, deliveryId)
      .catch((err) => this.#o.logger.error({ deliveryId, err }, 'peer forwarding failed'))
      .finally(() => this.#inFlight.delete(done))
    this.#inFlight.add(done)
  }

  /** Waits for the deliveries in flight (at most `graceMs`) and forwards no more. */
  async close(graceMs = 5_000): Promise<void> {
    this.#closed = true
    await Promise.race([
      Promise.allSettled([...this.#inFlight]),
      new Promise((r) => setTimeout(r, graceMs).unref()),
    ])
  }

  async #send(body: Uint8Array, headers: Record<string, string>, deliveryId: string | null) {
    const peers = await this.#o.peers()
    await Promise.all(peers.map((peer) => this.#sendTo(peer, body, headers, deliveryId)))
  }

  async #sendTo(
    peer: URL,
    body: Uint8Array,
    headers: Record<string, string>,
    deliveryId: string | null,
  ): Promise<void> {
    const { logger, metrics } = this.#o
    const attempts = this.#o.attempts ?? 4
    const timeoutMs = this.#o.timeoutMs ?? 5_000
    let status: number | string = 'none'
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) {
        const base = (this.#o.backoffMs ?? 250) * 2 ** (attempt - 2)
        await new Promise((r) => setTimeout(r, base / 2 + Math.random() * base).unref())
      }
      try {
        const res = await request(peerHref(peer, '/hooks/gitea'), {
          method: 'POST',
          headers: { ...headers, [FORWARDED_HEADER]: '1' },
          body,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
          signal: AbortSignal.timeout(timeoutMs),
        })
        await res.body.dump()
        status = res.statusCode
        if (status >= 200 && status < 300) {
          metrics.forwards.inc({ outcome: 'delivered' })
          return
        }
        if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
          metrics.forwards.inc({ outcome: 'refused' })
          logger.warn(
            { peer: peer.origin, deliveryId, status },
            'a peer refused a forwarded delivery',
          )
          return
        }
      } catch (err) {
        status = (err as { code?: string }).code ?? 'network'
      }
    }
    metrics.forwards.inc({ outcome: 'failed' })
    logger.warn({ peer: peer.origin, deliveryId, status }, 'could not forward a delivery to a peer')
  }
}

/** The headers of `get` that a forwarded delivery keeps. */
export function forwardedHeaders(
  get: (name: string) => string | undefined,
): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name of FORWARDED_HEADERS) {
    const value = get(name)
    if (value !== undefined) out[name] = value
  }
  return out
}
