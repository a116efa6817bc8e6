// Pushing the attestation referrers of an image (referrers.ts: the same bytes /v2 serves) to a
// repository of a registry: the empty config and each envelope as blobs, then each artifact
// manifest by digest. A registry that supports the referrers API says so by answering the
// manifest PUT with `OCI-Subject: <subject digest>` (Distribution Spec v1.1, "Pushing Manifests
// with Subject"); for one that does not, the referrers list of that subject is kept under the
// referrers tag `<algorithm>-<hex>` (the "Referrers Tag Schema"): the index there is read (none
// on a 404), our descriptors added where absent, and the index pushed back, canonical JSON, only
// when something was added — so pushing the same referrers again changes nothing.
import type { Json } from './canonical-json.js'
import { type Blob, blob, MEDIA_TYPES } from './image.js'
import { pushBlob, pushScope, putManifest } from './push-image.js'
import { PushError, type PushSession } from './push-session.js'
import { EMPTY_CONFIG, type ImageReferrer, type Referrer, referrerDescriptor } from './referrers.js'

/** The largest referrers list read back (the spec's manifest size clients should handle). */
export const REFERRERS_INDEX_MAX = 4 * 1024 * 1024

/** The referrers tag of `digest`: algorithm (≤ 32) `-` encoded (≤ 64), other characters `-`. */
export function referrersTag(digest: string): string {
  const at = digest.indexOf(':')
  const tag = `${digest.slice(0, at).slice(0, 32)}-${digest.slice(at + 1).slice(0, 64)}`
  return tag.replace(/[^a-zA-Z0-9_.-]/g, '-')
}

type JsonObject = { [key: string]: Json }

const isObject = (v: unknown): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * The referrers list `existing` (the bytes under a referrers tag, null when there is none) with
 * the descriptors of `referrers` appended where no entry has their digest, in canonical JSON;
 * null when every one is listed already. Entries of other clients are kept as they are. A list
 * that is not an image index (or holds JSON canonical JSON cannot) is PUBLISH_BAD_RESPONSE.
 */
export function mergeReferrers(
  existing: Buffer | null,
  referrers: readonly Referrer[],
  where: string,
): Blob | null {
  const bad = (why: string) =>
    new PushError('PUBLISH_BAD_RESPONSE', `${where}: the referrers tag ${why}`)
  let doc: JsonObject = { schemaVersion: 2, mediaType: MEDIA_TYPES.index, manifests: [] }
  if (existing !== null) {
    let parsed: unknown
    try {
      parsed = JSON.parse(existing.toString('utf8'))
    } catch {
      throw bad('holds no JSON')
    }
    if (
      !isObject(parsed) ||
      parsed.schemaVersion !== 2 ||
      (parsed.mediaType !== undefined && parsed.mediaType !== MEDIA_TYPES.index) ||
      !Array.isArray(parsed.manifests) ||
      !parsed.manifests.every((m) => isObject(m) && typeof m.digest === 'string')
    ) {
      throw bad('holds something other than an image index')
    }
    doc = parsed
  }
  const listed = doc.manifests as JsonObject[]
  const known = new Set(listed.map((m) => m.digest))
  const added: Json[] = []
  for (const r of referrers) {
    if (known.has(r.manifest.digest)) continue
    known.add(r.manifest.digest)
    added.push(referrerDescriptor(r))
  }
  if (added.length === 0) return null
  try {
    return blob(MEDIA_TYPES.index, { ...doc, manifests: [...listed, ...added] })
  } catch {
    throw bad(
      'holds values canonical JSON cannot carry (numbers that are not integers, deep nesting)',
    )
  }
}

/** The bytes under the referrers tag `tag`, or null when there is none (a 404). */
async function readReferrersTag(
  session: PushSession,
  repository: string,
  tag: string,
): Promise<Buffer | null> {
  const res = await session
    .send({
      method: 'GET',
      target: `/v2/${repository}/manifests/${tag}`,
      scopes: [pushScope(repository)],
      headers: { accept: MEDIA_TYPES.index },
      read: REFERRERS_INDEX_MAX,
    })
    .catch((err: unknown) => {
      if (err instanceof PushError && err.context.status === 404) return null
      throw err
    })
  if (res === null) return null
  const type = res.headers['content-type']
  if (typeof type === 'string' && type.split(';')[0]!.trim() !== MEDIA_TYPES.index) {
    throw new PushError(
      'PUBLISH_BAD_RESPONSE',
      `${session.origin.origin}: the referrers tag ${tag} holds no image index`,
    )
  }
  return res.body ?? null
}

/** How the referrers of one push were recorded at the registry. */
export interface ReferrersPushed {
  /** Subjects the registry indexed itself (it answered OCI-Subject). */
  indexed: number
  /** Referrers tags written (the registry did not answer OCI-Subject). */
  tagsWritten: number
}

/** Pushes `referrers` (their blobs, manifests, and referrers tags where needed) to `repository`. */
export async function pushReferrers(
  session: PushSession,
  repository: string,
  referrers: readonly ImageReferrer[],
): Promise<ReferrersPushed> {
  const pushed: ReferrersPushed = { indexed: 0, tagsWritten: 0 }
  if (referrers.length === 0) return pushed
  const blobs = new Map<string, Blob>([[EMPTY_CONFIG.digest, EMPTY_CONFIG]])
  for (const { envelope } of referrers) blobs.set(envelope.digest, envelope)
  for (const b of blobs.values()) {
    await pushBlob(session, repository, { digest: b.digest, size: b.bytes.length, body: b.bytes })
  }
  /** subject digest → referrers whose push the registry did not index. */
  const unindexed = new Map<string, Referrer[]>()
  for (const { subject, referrer } of referrers) {
    const res = await putManifest(session, repository, referrer.manifest.digest, referrer.manifest)
    if (res.headers['oci-subject'] === subject.digest) {
      pushed.indexed++
      continue
    }
    unindexed.set(subject.digest, [...(unindexed.get(subject.digest) ?? []), referrer])
  }
  for (const [subject, list] of unindexed) {
    const tag = referrersTag(subject)
    const existing = await readReferrersTag(session, repository, tag)
    const where = `${session.origin.origin}: ${repository}`
    const merged = mergeReferrers(existing, list, `${where}: ${tag}`)
    if (merged === null) continue
    await putManifest(session, repository, tag, merged)
    pushed.tagsWritten++
  }
  return pushed
}

/**
 * pushReferrers beside an image push: a registry that refuses the attestations (no artifact
 * manifests, a foreign referrers tag, no right to push them) goes to `refused` instead of failing
 * the push, so the image and its tags never wait on them. Unreachable still throws, as does any
 * error that is not the registry's answer.
 */
export async function pushReferrersBeside(
  session: PushSession,
  repository: string,
  referrers: readonly ImageReferrer[],
  refused: (err: PushError) => void,
): Promise<void> {
  try {
    await pushReferrers(session, repository, referrers)
  } catch (err) {
    if (!(err instanceof PushError) || err.code === 'PUBLISH_UNREACHABLE') throw err
    refused(err)
  }
}
