// The parts of Gitea's webhook payloads the cache reads (modules/structs/hook.go). Unknown
// fields are allowed: Gitea adds fields between versions.
import { z } from 'zod'
import { OBJECT_ID, OBJECT_ID_MESSAGE } from '../gitea/object-id.js'

const objectId = z.string().regex(OBJECT_ID, OBJECT_ID_MESSAGE)

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

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * The fields of a push payload that pushPayloadSchema checks, copied out of the whole payload (a
 * push carries its commits and the full repository and sender objects). Parsing the copy accepts
 * and refuses exactly what parsing the payload does, with the same issues, without walking and
 * copying the fields nobody reads. Anything but an object is passed on as it is.
 */
export function pushFields(json: unknown): unknown {
  if (!isRecord(json)) return json
  const repository = json.repository
  return {
    ref: json.ref,
    before: json.before,
    after: json.after,
    repository: isRecord(repository) ? { full_name: repository.full_name } : repository,
  }
}

/**
 * create, delete and other events: the repository and ref are read (to record the delivery); a
 * `ref_type` of `branch` on a delete marks a deleted branch (ref-events.ts), any other is no branch.
 */
export const otherPayloadSchema = z.looseObject({
  ref: z.string().max(1024).optional(),
  repository: repository.optional(),
})
