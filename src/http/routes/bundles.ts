// GET|HEAD /v1/bundles/{digest}[/manifest] (docs/api.md#provisioner-api): the canonical tar by
// digest (answered by bundle-response.ts, shared with the OCI blob route) and its file list.
import { Hono } from 'hono'
import { SIGNED_CACHE_CONTROL } from '../../signed-url.js'
import type { AppEnv } from '../env.js'
import { validated } from '../middleware/validate.js'
import { digestParam } from '../openapi/requests.js'
import { bundleResponse, checkScope, notFound } from './bundle-response.js'

export const bundleRoutes = new Hono<AppEnv>()

/** digestSchema's pattern: a digest that matches it needs no zod pass (zod only words the 400). */
const DIGEST = /^sha256:[0-9a-f]{64}$/

function checkedDigest(digest: string): string {
  if (DIGEST.test(digest)) return digest
  return validated(digestParam, { digest }, 'INVALID_DIGEST').digest
}

bundleRoutes.on(['GET', 'HEAD'], '/:digest', (c) =>
  // c.get, not c.var: c.var copies every variable into a fresh object on each access.
  bundleResponse(
    c.get('deps'),
    c.get('metrics'),
    c.req.raw,
    checkedDigest(c.req.param('digest')),
    c.get('readScope'),
    c.get('signedUrl') ? SIGNED_CACHE_CONTROL : undefined,
  ),
)

bundleRoutes.get('/:digest/manifest', (c) => {
  const digest = checkedDigest(c.req.param('digest'))
  const deps = c.get('deps')
  if (!deps.index.bundles.get(digest)) throw notFound(digest)
  checkScope(deps, c.get('readScope'), digest)
  return c.json(deps.index.bundles.files(digest), 200, {
    ETag: `"${digest}"`,
    'Cache-Control': 'public, max-age=31536000, immutable',
  })
})
