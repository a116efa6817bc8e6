// Peer fill at the HTTP edge (docs/operations.md#replicas): a bundle or OCI blob this replica
// cannot serve by digest (unknown, evicted, or outside what this replica's index lets the
// credential read) is asked of the peers with the request's own credential. A peer that serves
// it has applied the same read rules to the same credential; the bytes are kept only when they
// hash to the digest. The answer is then this replica's own answer for that digest. A request that
// carries NO_FILL_HEADER (a peer asking) is answered from local data only.
import type { Context } from 'hono'
import { type FillResult, NO_FILL_HEADER } from '../../peers/index.js'
import type { AppEnv } from '../env.js'

/** Fills `digest` from the peers for this request, or null when there is nothing to try or to get. */
export async function fillForRequest(c: Context<AppEnv>, digest: string): Promise<FillResult> {
  const peers = c.get('deps').peers
  if (!peers || c.req.header(NO_FILL_HEADER) !== undefined) return null
  const url = new URL(c.req.url)
  return peers.fill.fill({
    digest,
    path: `${url.pathname}${url.search}`,
    authorization: c.req.header('authorization'),
  })
}
