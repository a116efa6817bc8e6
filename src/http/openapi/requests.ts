// Request schemas of the HTTP API, exported from this one module: the route handlers validate
// path parameters, queries and bodies with these objects, and the OpenAPI document
// (openapi.ts) is generated from the very same objects, so the two cannot disagree.
import { z } from 'zod'
import { parseSize } from '../../units.js'

export { otherPayloadSchema, pushPayloadSchema } from '../../webhooks/payload.js'

export const digestSchema = z
  .string()
  .regex(/^sha256:[0-9a-f]{64}$/, 'expected sha256: followed by 64 lowercase hex digits')

/** `{name}`: a template name from the manifest. */
export const templateNameParam = z.object({
  name: z.string().min(1).describe('template name, as in the templates manifest'),
})

/** `{digest}`: a bundle digest; anything else answers 400 INVALID_DIGEST. */
export const digestParam = z.object({
  digest: digestSchema.describe('bundle digest: `sha256:` followed by 64 lowercase hex digits'),
})

/** `GET /v1/bundles/{digest}/attestations?template=`: only that template's envelopes. */
export const attestationQuery = z.object({
  template: z
    .string()
    .optional()
    .describe('only the envelopes of this template (empty or absent: every template)'),
})

/** A signed bundle URL's query (docs/api.md#signed-bundle-urls); absent on ordinary reads. */
export const signedUrlQuery = z.object({
  expires: z.string().optional().describe('signed URL: unix seconds it is valid until'),
  signature: z
    .string()
    .optional()
    .describe('signed URL: base64url HMAC-SHA256 of the digest and `expires`'),
})

/** `POST /v1/urls`: a signed URL for one template's resolved digest, or for one digest. */
export const urlBody = z
  .strictObject({
    template: z.string().min(1).optional().describe('template name: its pinned or current digest'),
    digest: digestSchema.optional().describe('a bundle digest'),
    ttl: z
      .union([z.int().min(1), z.string()])
      .optional()
      .describe(
        'how long the URL lives: seconds, or a duration like `10m`; default 10m, at most 24h',
      ),
  })
  .refine((b) => (b.template === undefined) !== (b.digest === undefined), {
    message: 'give exactly one of template and digest',
  })

// Admin request bodies and queries.

export const pinBody = z.strictObject({ digest: z.string() })

export const refreshBody = z.strictObject({
  force: z
    .boolean()
    .optional()
    .describe('re-fetch even when the branch head already has a version'),
})

/** A byte budget as a number of bytes or a size such as `512MiB`. */
export const budgetSchema = z
  .union([z.number().int().nonnegative(), z.string()])
  .transform((v, ctx) => {
    const bytes = typeof v === 'number' ? v : parseSize(v)
    if (bytes === null) {
      ctx.addIssue({ code: 'custom', message: 'expected bytes or a size like 512MiB or 2GiB' })
      return z.NEVER
    }
    return bytes
  })

export const gcBody = z.strictObject({
  budget: budgetSchema
    .optional()
    .describe('byte budget for this run (default ASSET_CACHE_STORE_BUDGET)'),
  dryRun: z.boolean().optional().describe('report what would be removed, remove nothing'),
})

/** Readiness checks a probe may leave out of the verdict: what is served, not whether it can be. */
export const EXCLUDABLE_CHECKS = ['fetching', 'templates'] as const

export const readinessQuery = z.object({
  exclude: z
    .string()
    .regex(/^(fetching|templates)(,(fetching|templates))?$/, 'fetching, templates or both')
    .optional()
    .describe(
      'comma-separated checks still reported but left out of the verdict (`fetching`, `templates`): a load balancer probe that must not take every template away because one is not ready',
    ),
})

export const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
})
