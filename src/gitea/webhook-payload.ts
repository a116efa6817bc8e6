// The parts of Gitea's webhook payloads the cache reads (modules/structs/hook.go). Unknown
// fields are allowed: Gitea adds fields between versions.
import { z } from 'zod'

const objectId = z
  .string()
  .regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/, 'expected a 40 or 64 hex commit id')

const repository = z.looseObject({
  full_name: z
    .string()
    .min(3)
    .max(512)
    .regex(/^[^/\s]+\/[^/\s]+$/, 'expected "owner/name"'),
})

export const pushPayloadSchema = z.looseObject({
  ref: z.string().min(1).max(1024),
  before: objectId,
  after: objectId,
  repository,
})
export type PushPayload = z.infer<typeof pushPayloadSchema>

/** create, delete and other events: only the repository is read (to record the delivery). */
export const otherPayloadSchema = z.looseObject({
  ref: z.string().max(1024).optional(),
  repository: repository.optional(),
})

export const ZERO_SHA = /^0+$/
