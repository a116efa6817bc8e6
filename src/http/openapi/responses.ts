// Response body schemas of the HTTP API, one per shape a handler answers with. The OpenAPI
// document is generated from them, test/http/contract.test.ts parses real answers with them, and
// the type checks at the end tie them to the views the handlers return, so a field added or
// renamed in a view fails `tsc` until the schema says so.
import { z } from 'zod'
import type { ForgetAnswer } from '../../admin/actions.js'
import type {
  QueueView,
  StoreView,
  TemplateDetail,
  TemplateView,
  VersionView,
} from '../../admin/views.js'
import type { GcReport } from '../../cache/gc.js'
import type { VerifyRepairReport } from '../../cache/verify.js'
import type { BundleFile, DeliveryRow } from '../../db/index.js'

const int = z.number().int()
const count = int.nonnegative()
/** Milliseconds since the Unix epoch. */
const epochMs = int.describe('milliseconds since the Unix epoch')
const digest = z.string().describe('`sha256:` followed by 64 lowercase hex digits')
const commit = z.string().describe('git commit id')

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

const versionStatus = z.enum(['ready', 'rejected', 'failed'])
const reasonEntry = z
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

// --- admin API ------------------------------------------------------------------------------

export const publishState = z
  .object({
    target: z.string().describe('ASSET_CACHE_OCI_PUBLISH as registry[:port]/namespace'),
    status: z.enum(['pending', 'published', 'failed']),
    error: z.string().nullable().describe('stable code of the last failure (PUBLISH_*)'),
    attempts: count,
    publishedAt: epochMs.nullable(),
    nextAttemptAt: epochMs.nullable(),
  })
  .describe('at the publish registry; null when publishing is off or not tried yet')

export const adminVersion = z.object({
  id: int,
  commit: commit.nullable(),
  digest: digest.nullable(),
  status: versionStatus,
  reasonCode: z.string().nullable(),
  reasonDetail: z.string().nullable(),
  reasonEntry: reasonEntry,
  source: z.enum(['cli', 'webhook', 'reconcile', 'admin']),
  jobId: int.nullable(),
  deliveryId: z.string().nullable(),
  createdAt: epochMs,
  readyAt: epochMs.nullable(),
  compressedBytes: count.nullable(),
  unpackedBytes: count.nullable(),
  bundleBytes: count.nullable(),
  entryCount: count.nullable(),
  fileCount: count.nullable(),
  skippedCount: count.nullable(),
  durationMs: count.nullable(),
  current: z.boolean(),
  pinned: z.boolean(),
  evicted: z.boolean().describe('a ready version whose bundle GC has removed'),
  commitUrl: z.string().nullable(),
  commitStatus: z
    .object({
      state: z.enum(['pending', 'success', 'failure', 'error']),
      result: z.enum(['queued', 'posted', 'failed', 'superseded']),
      attempts: count,
      httpStatus: int.nullable(),
      error: z.string().nullable(),
      at: epochMs,
    })
    .nullable()
    .describe('the last commit status queued for this commit (GITEA_STATUS_TOKEN) and its post'),
  publish: publishState.nullable(),
})

export const job = z.object({
  id: int,
  template: z.string(),
  state: z.enum(['queued', 'running', 'done', 'failed']),
  trigger: z.enum(['webhook', 'reconcile', 'admin', 'startup']),
  deliveryId: z.string().nullable(),
  force: z.boolean(),
  attempts: count,
  nextAttemptAt: epochMs.nullable(),
  lastErrorCode: z.string().nullable(),
  lastError: z.string().nullable(),
  createdAt: epochMs,
  startedAt: epochMs.nullable(),
  finishedAt: epochMs.nullable(),
})

export const delivery = z.object({
  id: int,
  deliveryId: z.string().nullable(),
  event: z.string(),
  repo: z.string().nullable(),
  ref: z.string().nullable(),
  before: commit.nullable(),
  after: commit.nullable(),
  outcome: z.enum(['queued', 'ok', 'ignored', 'duplicate', 'invalid', 'failed']),
  reason: z.string().nullable(),
  jobIds: z.array(int),
  receivedAt: epochMs,
})

export const adminTemplate = z.object({
  name: z.string(),
  repo: z.string().nullable(),
  ref: z.string().nullable(),
  removed: z.boolean(),
  tracked: z
    .boolean()
    .describe(
      'named by the applied templates manifest; untracked ones (hand-ingested or removed) never count against readiness and can be forgotten',
    ),
  health: z.enum(['ready', 'stale', 'pending', 'failing']),
  digest: digest.nullable(),
  commit: commit.nullable(),
  since: epochMs.nullable(),
  current: adminVersion.nullable(),
  pinned: z
    .object({
      digest: digest.nullable().describe('null: a commit pin whose commit is not fetched yet'),
      commit: commit.nullable().describe('the commit a manifest pin names, if it names one'),
      at: epochMs.nullable(),
      by: z
        .enum(['manifest', 'admin'])
        .describe(
          'manifest: `pin:` in the templates manifest, obeyed by every replica; admin: pinned here',
        ),
      local: z
        .boolean()
        .describe('true: an admin pin with peers configured, which holds on this replica only'),
    })
    .nullable(),
  latest: adminVersion.nullable(),
  lastError: z
    .object({
      code: z.string(),
      advice: z.string().describe('what to do about it: one static line per code'),
      detail: z.string().nullable(),
      entry: reasonEntry,
      at: epochMs,
      commit: commit.nullable(),
    })
    .nullable(),
  branchDeleted: z
    .object({ at: epochMs })
    .nullable()
    .describe(
      'the tracked branch was deleted in Gitea (a delete event) and not pushed since; the last good bundle keeps serving',
    ),
  job: job.nullable(),
  repoUrl: z.string().nullable(),
  publish: publishState.nullable().describe('the served version at the publish registry'),
})

export const storeBody = z.object({
  bundles: count,
  bytes: count,
  budgetBytes: count,
  keepVersions: count,
  ratio: z.number().nonnegative().describe('bytes / budgetBytes'),
  gcIntervalMs: count.nullable(),
})

export const adminTemplateList = z.object({ templates: z.array(adminTemplate), store: storeBody })

export const adminTemplateDetail = z.object({
  template: adminTemplate,
  versions: z.array(adminVersion),
  files: z.array(bundleFile),
  jobs: z.array(job),
  deliveries: z.array(delivery),
})

export const adminVersionList = z.object({ versions: z.array(adminVersion) })

export const refreshAnswer = z.object({
  status: z.literal('queued'),
  jobId: int,
  created: z.boolean().describe('false when a refresh was already queued'),
})

export const forgetAnswer = z.object({
  name: z.string(),
  forgotten: z.literal(true),
  versions: count.describe('version rows deleted'),
  jobs: count.describe('job rows deleted'),
})

export const queueBody = z.object({
  depth: z.object({ queued: count, running: count }),
  queued: z.array(job),
  running: z.array(job),
  failed: z.array(job),
  recent: z.array(job),
})

export const deliveryList = z.object({ deliveries: z.array(delivery) })

const step = z.object({
  name: z.string(),
  ms: z.number(),
  counts: z.record(z.string(), z.number()),
})

export const verifyReport = z.object({
  steps: z.array(step),
  checked: count,
  bytes: count,
  corrupt: z.array(
    z.object({
      digest,
      path: z.string(),
      code: z.enum(['EINTEGRITY', 'EBADSIZE', 'ENOTFOUND']),
      expected: z.union([z.string(), z.number()]),
      found: z.union([z.string(), z.number()]),
    }),
  ),
  quarantined: z.array(digest),
  requeued: z.array(z.string()).describe('templates queued for a forced refresh'),
})

const usage = z.object({ bundles: count, bytes: count })

export const gcReport = z.object({
  dryRun: z.boolean(),
  budgetBytes: count,
  keepVersions: count,
  before: usage,
  after: usage,
  protected: count,
  removed: z.array(
    z.object({ digest, size: count, lastServedAt: epochMs.nullable(), createdAt: epochMs }),
  ),
  freedBytes: count,
  overBudget: z.boolean().describe('still over budget: everything left is protected'),
  steps: z.array(step),
})

// --- the schemas match the views the handlers build (checked by tsc) -------------------------

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
type Assert<T extends true> = T

/** Never used at run time: a `false` here is a schema that drifted from its view. */
export type ResponseSchemasMatchViews = [
  Assert<Same<z.output<typeof adminVersion>, VersionView>>,
  Assert<Same<z.output<typeof adminTemplate>, TemplateView>>,
  Assert<Same<z.output<typeof adminTemplateDetail>, TemplateDetail>>,
  Assert<Same<z.output<typeof queueBody>, QueueView>>,
  Assert<Same<z.output<typeof storeBody>, StoreView>>,
  Assert<Same<z.output<typeof bundleFile>, BundleFile>>,
  Assert<Same<z.output<typeof delivery>, DeliveryRow>>,
  Assert<Same<z.output<typeof gcReport>, GcReport>>,
  Assert<Same<z.output<typeof forgetAnswer>, ForgetAnswer>>,
  Assert<Same<z.output<typeof verifyReport>, VerifyRepairReport>>,
]
