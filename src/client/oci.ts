// `pull oci://host[:port]/repository[:tag|@digest]`: a template image from any OCI registry — the
// cache's own /v2, or a mirror of it (distribution, Harbor, zot) — materialized through the same
// safe path as a normal pull. The index picks this machine's platform (or the first one); the one
// layer is fetched by digest and verified while it streams. An uncompressed layer is the bundle
// itself; a gzip layer (a registry or a `skopeo copy` may have compressed it) is verified against
// its own digest, inflated, and the tar against the config's diff_id. Nothing the registry says
// is trusted: documents are checked against the digests that name them.
import { createHash } from 'node:crypto'
import { pipeline } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { isDigest } from '../digest.js'
import { isValidName, parseReference } from '../oci/naming.js'
import { DEFAULT_PULL_TIMEOUT_MS, withDeadline } from './deadline.js'
import { verifyingStream } from './download.js'
import { ClientError } from './errors.js'
import { materialize } from './materialize.js'
import { boundedBody, type RegistryOptions, RegistrySession } from './oci-registry.js'
import type { PullResult } from './pull.js'
import { readState } from './state.js'

export interface OciTarget {
  origin: URL
  repository: string
  /** A tag or a `sha256:` digest. */
  reference: string
}

export interface OciPullOptions extends RegistryOptions {
  into: string
  onProgress?: ((received: number, total: number | undefined) => void) | undefined
  /** Default: this process's platform. */
  platform?: { os: string; architecture: string }
  /** The whole pull, as for `pull` (default 5 minutes): past it, ClientError `PULL_TIMEOUT`. */
  timeoutMs?: number | undefined
}

const INDEX_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
])
const MANIFEST_TYPES = new Set([
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
])
const TAR_TYPES = new Set([
  'application/vnd.oci.image.layer.v1.tar',
  'application/vnd.docker.image.rootfs.diff.tar',
])
const GZIP_TYPES = new Set([
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.docker.image.rootfs.diff.tar.gzip',
])
const ACCEPT = [...INDEX_TYPES, ...MANIFEST_TYPES].join(', ')
/** Manifests and configs larger than this are refused (the spec suggests registries take 4 MiB). */
const DOC_MAX = 4 * 1024 * 1024
const LOOPBACK = /^(?:127\.\d+\.\d+\.\d+|localhost|\[::1\])$/

const bad = (message: string) => new ClientError('BAD_RESPONSE', message)

/**
 * `oci://host[:port]/repository[:tag|@digest]` (tag default `latest`). HTTPS, except a loopback
 * host or the `oci+http://` form, which use plain HTTP.
 */
export function parseOciTarget(target: string): OciTarget {
  const m = /^oci(\+http)?:\/\/([^/]+)\/(.+)$/.exec(target)
  const invalid = (why: string) => new ClientError('INVALID_TARGET', `${why}: ${target}`)
  if (!m) throw invalid('expected oci://host[:port]/repository[:tag|@digest]')
  const [, plain, host, rest] = m as unknown as [string, string | undefined, string, string]
  let origin: URL
  try {
    const hostname = new URL(`http://${host}`).hostname
    const scheme = plain || LOOPBACK.test(hostname) ? 'http' : 'https'
    origin = new URL(`${scheme}://${host}`)
  } catch {
    throw invalid('invalid registry host')
  }
  if (origin.host !== host.toLowerCase() || origin.username || origin.password) {
    throw invalid('invalid registry host')
  }
  let repository = rest
  let reference = 'latest'
  const at = rest.indexOf('@')
  if (at !== -1) {
    repository = rest.slice(0, at)
    reference = rest.slice(at + 1)
  } else {
    const colon = rest.lastIndexOf(':')
    if (colon !== -1) {
      repository = rest.slice(0, colon)
      reference = rest.slice(colon + 1)
    }
  }
  const ref = parseReference(reference)
  if (!isValidName(repository)) throw invalid('invalid repository name')
  if (ref.kind !== 'tag' && ref.kind !== 'digest') throw invalid('invalid tag or digest')
  if (at !== -1 && ref.kind !== 'digest') throw invalid('expected a sha256 digest after @')
  return { origin, repository, reference }
}

interface Descriptor {
  mediaType: string
  digest: string
  size: number
  platform?: { os?: unknown; architecture?: unknown }
}

function descriptor(value: unknown, where: string): Descriptor {
  const d = value as Partial<Descriptor> | null
  if (
    !d ||
    typeof d.mediaType !== 'string' ||
    !isDigest(d.digest) ||
    !Number.isSafeInteger(d.size) ||
    (d.size as number) < 0
  ) {
    throw bad(`${where}: not a valid descriptor`)
  }
  return d as Descriptor
}

/** Node's platform in OCI words. */
function hostPlatform(): { os: string; architecture: string } {
  const arch: Record<string, string> = { x64: 'amd64', ia32: '386', ppc64: 'ppc64le' }
  return { os: process.platform, architecture: arch[process.arch] ?? process.arch }
}

interface Doc {
  mediaType: string
  json: Record<string, unknown>
}

/** GETs a manifest; its bytes must hash to `expect` (a digest reference or descriptor). */
async function fetchManifest(
  session: RegistrySession,
  reference: string,
  expect: { digest: string; size?: number } | null,
): Promise<Doc> {
  const path = `/v2/${session.repository}/manifests/${reference}`
  const res = await session.get(path, ACCEPT)
  if (res.statusCode === 404) {
    await res.body.dump()
    throw new ClientError(
      'TEMPLATE_NOT_FOUND',
      `no image ${session.repository}:${reference} at ${session.origin.host}`,
      {
        status: 404,
      },
    )
  }
  if (res.statusCode !== 200) {
    await res.body.dump()
    const code = res.statusCode === 401 || res.statusCode === 403 ? 'UNAUTHORIZED' : 'SERVER_ERROR'
    throw new ClientError(code, `${res.url.href} answered ${res.statusCode}`, {
      status: res.statusCode,
    })
  }
  const bytes = await boundedBody(res, DOC_MAX)
  const found = `sha256:${createHash('sha256').update(bytes).digest('hex')}`
  if (
    expect &&
    (found !== expect.digest || (expect.size !== undefined && bytes.length !== expect.size))
  ) {
    throw bad(`${res.url.href}: manifest bytes do not match ${expect.digest}`)
  }
  const sent = res.headers['docker-content-digest']
  if (!expect && typeof sent === 'string' && sent.startsWith('sha256:') && sent !== found) {
    throw bad(`${res.url.href}: Docker-Content-Digest ${sent} does not match the bytes`)
  }
  let json: Record<string, unknown>
  try {
    json = JSON.parse(bytes.toString('utf8'))
  } catch {
    throw bad(`${res.url.href}: manifest is not JSON`)
  }
  const header = String(res.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim()
  const mediaType = typeof json.mediaType === 'string' ? json.mediaType : header
  return { mediaType, json }
}

/** The image manifest for this platform: the index's match, or its first entry. */
async function imageManifest(session: RegistrySession, target: OciTarget, options: OciPullOptions) {
  const ref = parseReference(target.reference)
  const first = await fetchManifest(
    session,
    target.reference,
    ref.kind === 'digest' ? { digest: ref.digest } : null,
  )
  if (MANIFEST_TYPES.has(first.mediaType))
    return { manifest: first, annotations: first.json.annotations }
  if (!INDEX_TYPES.has(first.mediaType)) throw bad(`unsupported manifest type ${first.mediaType}`)
  const entries = Array.isArray(first.json.manifests) ? first.json.manifests : []
  const list = entries
    .map((d, i) => descriptor(d, `index entry ${i}`))
    .filter((d) => MANIFEST_TYPES.has(d.mediaType))
  const want = options.platform ?? hostPlatform()
  const chosen =
    list.find(
      (d) => d.platform?.os === want.os && d.platform?.architecture === want.architecture,
    ) ?? list[0]
  if (!chosen)
    throw bad(`${target.repository}:${target.reference}: the index lists no image manifest`)
  const manifest = await fetchManifest(session, chosen.digest, chosen)
  if (!MANIFEST_TYPES.has(manifest.mediaType))
    throw bad(`unsupported manifest type ${manifest.mediaType}`)
  return { manifest, annotations: manifest.json.annotations ?? first.json.annotations }
}

/** The bundle digest of a gzip layer: the config's one diff_id, the config checked against its digest. */
async function diffId(session: RegistrySession, config: Descriptor): Promise<string> {
  if (config.size > DOC_MAX) throw bad('image config is too large')
  const res = await session.get(`/v2/${session.repository}/blobs/${config.digest}`)
  if (res.statusCode !== 200) {
    await res.body.dump()
    throw new ClientError('BUNDLE_NOT_FOUND', `${res.url.href} answered ${res.statusCode}`)
  }
  const bytes = await boundedBody(res, DOC_MAX)
  if (`sha256:${createHash('sha256').update(bytes).digest('hex')}` !== config.digest) {
    throw bad(`image config does not match ${config.digest}`)
  }
  const ids = (JSON.parse(bytes.toString('utf8')) as { rootfs?: { diff_ids?: unknown } }).rootfs
    ?.diff_ids
  if (!Array.isArray(ids) || ids.length !== 1 || !isDigest(ids[0])) {
    throw bad('image config does not name one sha256 diff_id')
  }
  return ids[0]
}

const text = (v: unknown, max: number) => (typeof v === 'string' && v.length <= max ? v : null)

/**
 * Pulls `target` into `options.into`, like `pull` does from the cache.
 *
 * @returns `unchanged` when DIR already holds that bundle (the layer is not fetched), else `pulled`.
 * @throws ClientError, IntegrityError or RejectError; DIR is then exactly as it was.
 */
export async function pullOci(target: string, options: OciPullOptions): Promise<PullResult> {
  const { timeoutMs = DEFAULT_PULL_TIMEOUT_MS, signal, ...rest } = options
  const parsed = parseOciTarget(target)
  return withDeadline(timeoutMs, signal, (within) => pullImage(parsed, { ...rest, signal: within }))
}

async function pullImage(parsed: OciTarget, options: OciPullOptions): Promise<PullResult> {
  const session = new RegistrySession(parsed.origin, parsed.repository, options)
  const { manifest, annotations } = await imageManifest(session, parsed, options)
  const layers = Array.isArray(manifest.json.layers) ? manifest.json.layers : []
  if (layers.length !== 1) throw bad(`expected an image with one layer, found ${layers.length}`)
  const layer = descriptor(layers[0], 'layer')
  const gzip = GZIP_TYPES.has(layer.mediaType)
  if (!gzip && !TAR_TYPES.has(layer.mediaType))
    throw bad(`unsupported layer type ${layer.mediaType}`)
  const digest = gzip
    ? await diffId(session, descriptor(manifest.json.config, 'config'))
    : layer.digest
  const state = await readState(options.into)
  if (state?.digest === digest) return { status: 'unchanged', digest }

  const res = await session.get(`/v2/${parsed.repository}/blobs/${layer.digest}`)
  if (res.statusCode !== 200) {
    await res.body.dump()
    const code = res.statusCode === 404 ? 'BUNDLE_NOT_FOUND' : 'SERVER_ERROR'
    throw new ClientError(code, `${res.url.href} answered ${res.statusCode}`, {
      status: res.statusCode,
    })
  }
  const verified = verifyingStream(layer.digest, layer.size)
  let received = 0
  res.body.on('data', (chunk: Buffer) => {
    received += chunk.length
    options.onProgress?.(received, layer.size)
  })
  const onError = () => undefined
  const body = gzip ? createGunzip() : verified
  if (gzip) pipeline(res.body, verified, body, onError)
  else pipeline(res.body, verified, onError)
  const notes = (annotations ?? {}) as Record<string, unknown>
  const commit = text(notes['org.opencontainers.image.revision'], 64)
  const result = await materialize(body, options.into, {
    digest,
    template: text(notes['dev.asset-cache.template'], 128),
    commit,
    signal: options.signal,
  })
  return {
    status: 'pulled',
    digest,
    commit,
    files: result.files,
    written: result.written,
    removed: result.removed,
    kept: result.kept,
  }
}
