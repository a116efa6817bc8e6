// Response body schemas of the HTTP API, one per shape a handler answers with. The OpenAPI
// document is generated from them, test/http/contract.test.ts parses real answers with them, and
// the type checks at the end tie them to the views the handlers return, so a field added or
// renamed in a view fails `tsc` until the schema says so.
import { z } from 'zod'
import type { BundleFile } from '../../db/index.js'

export const int = z.number().int()
export const count = int.nonnegative()
/** Milliseconds since the Unix epoch. */
export const epochMs = int.describe('milliseconds since the Unix epoch')
export const digest = z.string().describe('`sha256:` followed by 64 lowercase hex digits')
export const commit = z.string().describe('git commit id')

/** Every 4xx/5xx answer (docs/contract.md#errors): 5xx messages never carry internals. */
export const errorBodySchema = z.object({
  error: z.object({
    code: z
      .string()
      .regex(/^[A-Z][A-Z0-9_]*$/)
      .describe('stable UPPER_SNAKE code'),
    message: z.string(),
    requestId: z.string().describe('also sent as the X-Request-Id header'),
  }),
})

// --- operations -----------------------------------------------------------------------------

export const healthBody = z.object({ status: z.literal('ok'), uptimeSeconds: count })

/** One readiness check: `ok` and details (error `code`, `reason`, `notReady` names, `attention`…). */
const check = z.looseObject({ ok: z.boolean() })

export const readinessBody = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.object({
    database: check,
    store: check,
    fetching: check,
    templates: check,
    startup: check,
  }),
  excluded: z
    .array(z.enum(['fetching', 'templates']))
    .optional()
    .describe('checks left out of the verdict (?exclude=)'),
})

/** The document served at /openapi.json (only its outline is checked here). */
export const openApiBody = z.looseObject({
  openapi: z.string(),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.unknown()),
})

// --- webhook --------------------------------------------------------------------------------

export const webhookAnswer = z.object({
  status: z.enum(['queued', 'ok', 'ignored']),
  reason: z.string().optional().describe('why the delivery was ignored (`duplicate`, …)'),
})

// --- provisioner API ------------------------------------------------------------------------

export const templateSummary = z.object({
  name: z.string(),
  repo: z.string().nullable(),
  ref: z.string().nullable(),
  digest: digest.nullable().describe('what provisioners get: the pin, else the current version'),
  commit: commit.nullable(),
  status: z.enum(['ready', 'pending']),
})
export const templateList = z.array(templateSummary)

export const templateBody = z.object({
  name: z.string(),
  repo: z.string().nullable(),
  ref: z.string().nullable(),
  commit: commit.nullable(),
  digest,
  size: count.describe('bundle bytes'),
  fileCount: count,
  readyAt: epochMs.nullable(),
  bundleUrl: z.string().describe('`/v1/bundles/{digest}`'),
  pinned: z.boolean(),
})

export const versionStatus = z.enum(['ready', 'rejected', 'failed'])
export const reasonEntry = z
  .string()
  .nullable()
  .describe(
    'the archive entry a rejection names (e.g. `workspace/notes.md` for AGENT_OWNED_PATH), as it is: ' +
      'hostile text, to be escaped before display; at most 1024 code points (a longer one ends in `…`)',
  )

export const versionSummary = z.object({
  commit: commit.nullable(),
  digest: digest.nullable(),
  status: versionStatus,
  reasonCode: z.string().nullable().describe('why a version was rejected or failed'),
  reasonDetail: z.string().nullable(),
  reasonEntry: reasonEntry,
  createdAt: epochMs,
  readyAt: epochMs.nullable(),
  fileCount: count.nullable(),
  bundleBytes: count.nullable(),
  current: z.boolean(),
})
export const versionList = z.array(versionSummary)

export const signedUrl = z.object({
  url: z.string().describe('absolute URL, built from the request Host'),
  path: z.string().describe('the same URL as a path and query'),
  digest: z.string(),
  expires: z.int().describe('unix seconds'),
})

export const bundleFile = z.object({
  path: z.string(),
  size: count,
  sha256: z.string().describe('64 lowercase hex digits'),
  mode: int.describe('0644 or 0755 (as a number)'),
})
export const bundleManifest = z.array(bundleFile)

export const dsseEnvelope = z.object({
  payload: z.string().describe('base64 of the in-toto Statement v1 (canonical JSON)'),
  payloadType: z.literal('application/vnd.in-toto+json'),
  signatures: z.array(
    z.object({
      keyid: z.string().describe('`sha256:` and the hex SHA-256 of the DER public key'),
      sig: z.string().describe('base64 ed25519 signature over the DSSE PAE'),
    }),
  ),
})
export const attestationList = z.array(dsseEnvelope)

// --- the schemas match the views the handlers build (checked by tsc) -------------------------

export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
export type Assert<T extends true> = T

/** Never used at run time: a `false` here is a schema that drifted from its view. */
export type ResponseSchemasMatchViews = [Assert<Same<z.output<typeof bundleFile>, BundleFile>>]
