// Response body schemas of the admin API (`/v1/admin/*`), one per shape a handler answers with;
// the rest are in responses.ts. The type checks at the end tie them to the views the handlers
// return, so a field added or renamed in a view fails `tsc` until the schema says so.
import { z } from 'zod'
import type { ForgetAnswer } from '../../admin/actions.js'
import type { QueueView, StoreView } from '../../admin/service-views.js'
import type { TemplateDetail, TemplateView, VersionView } from '../../admin/views.js'
import type { GcReport } from '../../cache/gc.js'
import type { VerifyRepairReport } from '../../cache/verify.js'
import type { DeliveryRow } from '../../db/index.js'
import {
  type Assert,
  bundleFile,
  commit,
  count,
  digest,
  epochMs,
  int,
  reasonEntry,
  type Same,
  versionStatus,
} from './responses.js'

export const publishState = z
  .object({
    target: z.string().describe('ASSET_CACHE_OCI_PUBLISH as registry[:port]/namespace'),
    status: z.enum(['pending', 'published', 'failed']),
    error: z.string().nullable().describe('stable code of the last failure (PUBLISH_*)'),
    attempts: count,
    publishedAt: epochMs.nullable().describe('when its last successful push began'),
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

/** Never used at run time: a `false` here is a schema that drifted from its view. */
export type AdminSchemasMatchViews = [
  Assert<Same<z.output<typeof adminVersion>, VersionView>>,
  Assert<Same<z.output<typeof adminTemplate>, TemplateView>>,
  Assert<Same<z.output<typeof adminTemplateDetail>, TemplateDetail>>,
  Assert<Same<z.output<typeof queueBody>, QueueView>>,
  Assert<Same<z.output<typeof storeBody>, StoreView>>,
  Assert<Same<z.output<typeof delivery>, DeliveryRow>>,
  Assert<Same<z.output<typeof gcReport>, GcReport>>,
  Assert<Same<z.output<typeof forgetAnswer>, ForgetAnswer>>,
  Assert<Same<z.output<typeof verifyReport>, VerifyRepairReport>>,
]
