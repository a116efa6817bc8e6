// ASSET_CACHE_PEERS: the other replicas. Either base URLs (`http://a:8080,http://b:8080`) or one
// DNS name with a port (`asset-cache-peers.ns.svc.cluster.local:8080`, a Kubernetes headless
// Service) that is looked up again on every use, so replicas that come and go are followed without
// a restart. This replica is left out: an address of one of its own interfaces with its own port.
import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { networkInterfaces } from 'node:os'

export type PeerSpec =
  | { kind: 'urls'; urls: URL[] }
  | { kind: 'dns'; name: string; port: number; protocol: 'http:' | 'https:' }

const DNS_NAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i

/**
 * Parses ASSET_CACHE_PEERS. Returns the spec or an error text naming what is wrong. A URL carries
 * no credentials, query or fragment (peers authenticate with the caller's own credential).
 */
export function parsePeers(text: string): PeerSpec | { error: string } {
  const entries = text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)
  if (entries.length === 0) return { error: 'expected base URLs or one DNS name with a port' }
  if (entries.length === 1 && !entries[0]!.includes('://')) {
    const m = /^(.+):(\d{1,5})$/.exec(entries[0]!)
    const port = m ? Number(m[2]) : 0
    if (!m || !DNS_NAME.test(m[1]!) || isIP(m[1]!) !== 0 || port < 1 || port > 65535) {
      return { error: `expected NAME:PORT (a DNS name) or http(s) URLs, got "${entries[0]}"` }
    }
    return { kind: 'dns', name: m[1]!.toLowerCase(), port, protocol: 'http:' }
  }
  const urls: URL[] = []
  for (const entry of entries) {
    let url: URL
    try {
      url = new URL(entry)
    } catch {
      return { error: `"${entry}" is not a URL` }
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return { error: `"${entry}": expected an http(s) URL` }
    }
    if (url.username || url.password || url.search || url.hash) {
      return { error: `"${entry}": a peer URL has no credentials, query or fragment` }
    }
    urls.push(new URL(url.href.replace(/\/+$/, '')))
  }
  return { kind: 'urls', urls }
}

/** The addresses of this host's interfaces (loopback included), lower-case. */
function ownAddresses(): Set<string> {
  const own = new Set<string>(['localhost'])
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) own.add(a.address.toLowerCase())
  }
  return own
}

const unbracket = (host: string) => host.replace(/^\[|\]$/g, '').toLowerCase()

function portOf(url: URL): number {
  if (url.port) return Number(url.port)
  return url.protocol === 'https:' ? 443 : 80
}

/** Whether `url` points at this process: one of this host's addresses and the port it listens on. */
export function isSelf(url: URL, ownPort: number, own = ownAddresses()): boolean {
  return portOf(url) === ownPort && own.has(unbracket(url.hostname))
}

export type Lookup = (name: string) => Promise<string[]>

const lookupAll: Lookup = async (name) =>
  (await lookup(name, { all: true, verbatim: true })).map((a) => a.address)

/** Base URLs of the peers now, this replica excluded; a DNS name that does not resolve is none. */
export async function peerUrls(
  spec: PeerSpec,
  ownPort: number,
  resolveName: Lookup = lookupAll,
): Promise<URL[]> {
  const own = ownAddresses()
  let urls: URL[]
  if (spec.kind === 'urls') {
    urls = spec.urls
  } else {
    let addresses: string[]
    try {
      addresses = await resolveName(spec.name)
    } catch {
      return []
    }
    urls = [...new Set(addresses)].map(
      (a) => new URL(`${spec.protocol}//${isIP(a) === 6 ? `[${a}]` : a}:${spec.port}`),
    )
  }
  return urls.filter((u) => !isSelf(u, ownPort, own))
}

/** A base URL joined with an absolute path (a base may carry a path prefix of its own). */
export const peerHref = (base: URL, path: string): string =>
  `${base.href.replace(/\/+$/, '')}${path}`
