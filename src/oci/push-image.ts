// Pushing one template image (image.ts: the same bytes /v2 serves) to a repository of a registry:
// each blob is skipped when a HEAD finds it, mounted from another repository of the same registry
// when one holds it (`POST …/blobs/uploads/?mount=&from=`), or uploaded monolithically (POST for
// a location, then one PUT `?digest=`); then each platform manifest and the index, by digest.
// Tags are pushed separately (pushTag): the index bytes under the tag.
import type { Readable } from 'node:stream'
import type { Blob, Image } from './image.js'
import { PushError, type PushResponse, type PushSession } from './push-session.js'

/** Opens the layer (the bundle) for reading, verified on the way out; once per upload try. */
export type LayerSource = () => Readable

/** The scope a push to `repository` needs. */
export const pushScope = (repository: string) => `repository:${repository}:pull,push`

async function hasBlob(session: PushSession, repository: string, digest: string) {
  const res = await session
    .send({
      method: 'HEAD',
      target: `/v2/${repository}/blobs/${digest}`,
      scopes: [pushScope(repository)],
    })
    .catch((err: unknown) => {
      if (err instanceof PushError && err.context.status === 404) return null
      throw err
    })
  return res !== null && res.status === 200
}

/** The Location of an upload session (a 202), resolved against the registry. */
function location(session: PushSession, headers: Record<string, unknown>, where: string): string {
  const value = headers.location
  if (typeof value !== 'string' || value.length === 0) {
    throw new PushError('PUBLISH_BAD_RESPONSE', `${session.origin.origin}: ${where}: no Location`)
  }
  // Neither message repeats the value: an upload Location carries the registry's session state.
  const bad = () =>
    new PushError('PUBLISH_BAD_RESPONSE', `${session.origin.origin}: ${where}: bad Location`)
  let url: URL
  try {
    url = new URL(value, session.origin)
  } catch {
    throw bad()
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw bad()
  return url.href
}

/** Starts an upload (mounting from `from` when given): null when the mount made the blob exist. */
async function startUpload(
  session: PushSession,
  repository: string,
  digest: string,
  from: string | null,
): Promise<string | null> {
  const query = from === null ? '' : `?mount=${digest}&from=${from}`
  const scopes =
    from === null ? [pushScope(repository)] : [pushScope(repository), `repository:${from}:pull`]
  const res = await session.send({
    method: 'POST',
    target: `/v2/${repository}/blobs/uploads/${query}`,
    scopes,
    headers: { 'content-length': '0' },
  })
  if (from !== null && res.status === 201) return null
  if (res.status !== 202) {
    throw new PushError(
      'PUBLISH_BAD_RESPONSE',
      `${session.origin.origin}: starting an upload answered ${res.status}, not 202`,
    )
  }
  return location(session, res.headers, 'starting an upload')
}

/** Makes blob `digest` exist in `repository`. */
export async function pushBlob(
  session: PushSession,
  repository: string,
  blob: { digest: string; size: number; body: Buffer | LayerSource },
  mountFrom: string | null = null,
): Promise<void> {
  if (await hasBlob(session, repository, blob.digest)) return
  const upload = await startUpload(session, repository, blob.digest, mountFrom)
  if (upload === null) return
  const url = new URL(upload)
  url.searchParams.set('digest', blob.digest)
  const res = await session.send({
    method: 'PUT',
    target: url.href,
    scopes: [pushScope(repository)],
    headers: {
      'content-type': 'application/octet-stream',
      'content-length': String(blob.size),
    },
    body: blob.body,
  })
  if (res.status !== 201) {
    throw new PushError(
      'PUBLISH_BAD_RESPONSE',
      `${session.origin.origin}: a blob upload answered ${res.status}, not 201`,
    )
  }
}

/** PUT a manifest or index under `reference` (its digest, or a tag); the registry's answer. */
export async function putManifest(
  session: PushSession,
  repository: string,
  reference: string,
  doc: Blob,
): Promise<PushResponse> {
  const res = await session.send({
    method: 'PUT',
    target: `/v2/${repository}/manifests/${reference}`,
    scopes: [pushScope(repository)],
    headers: { 'content-type': doc.mediaType, 'content-length': String(doc.bytes.length) },
    body: doc.bytes,
  })
  if (res.status !== 201) {
    throw new PushError(
      'PUBLISH_BAD_RESPONSE',
      `${session.origin.origin}: a manifest push answered ${res.status}, not 201`,
    )
  }
  const digest = res.headers['docker-content-digest']
  if (typeof digest === 'string' && digest !== doc.digest) {
    throw new PushError(
      'PUBLISH_BAD_RESPONSE',
      `${session.origin.origin}: the registry stored the manifest as ${digest}, not ${doc.digest}`,
    )
  }
  return res
}

/** Pushes `image` (layer, configs, manifests, index) to `repository`, tagging nothing. */
export async function pushImage(
  session: PushSession,
  repository: string,
  image: Image,
  layer: LayerSource,
  mountFrom: string | null,
): Promise<void> {
  await pushBlob(
    session,
    repository,
    { digest: image.layer.digest, size: image.layer.size, body: layer },
    mountFrom,
  )
  for (const { config } of image.manifests) {
    await pushBlob(session, repository, {
      digest: config.digest,
      size: config.bytes.length,
      body: config.bytes,
    })
  }
  for (const { manifest } of image.manifests) {
    await putManifest(session, repository, manifest.digest, manifest)
  }
  await putManifest(session, repository, image.index.digest, image.index)
}

/** Points `tag` at the image's index. */
export async function pushTag(
  session: PushSession,
  repository: string,
  tag: string,
  image: Image,
): Promise<void> {
  await putManifest(session, repository, tag, image.index)
}
