// A template version as an OCI image (OCI Image Spec v1.1): one layer that is the canonical bundle
// itself (media type `application/vnd.oci.image.layer.v1.tar`, digest = diff_id = bundle digest),
// a minimal config per platform, one image manifest per platform and an image index over them.
// Every document is canonical JSON (canonical-json.ts) built only from the inputs below — no clock,
// no host, no order of iteration — so every replica gives the same digests for the same version.
import { createHash } from 'node:crypto'
import { canonicalBytes, type Json } from './canonical-json.js'

export const MEDIA_TYPES = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
} as const

export const ANNOTATIONS = {
  source: 'org.opencontainers.image.source',
  revision: 'org.opencontainers.image.revision',
  title: 'org.opencontainers.image.title',
  template: 'dev.asset-cache.template',
} as const

/** The `created` of every config: the epoch, like the bundle's own mtimes (a fixed time, not a clock). */
export const CREATED = '1970-01-01T00:00:00Z'

export interface Platform {
  os: string
  architecture: string
  variant?: string
}

export interface ImageInput {
  template: string
  /** The bundle: the one layer. */
  digest: string
  size: number
  /** The commit the bundle was built from; null for a bundle ingested by hand. */
  commit: string | null
  /** `org.opencontainers.image.source`; null leaves it out. */
  source: string | null
  platforms: readonly Platform[]
}

/** A document addressable by digest: its bytes and media type. */
export interface Blob {
  digest: string
  mediaType: string
  bytes: Buffer
}

export interface Image {
  index: Blob
  /** One per platform, in the order of `platforms`. */
  manifests: { platform: Platform; manifest: Blob; config: Blob }[]
  layer: { digest: string; size: number }
}

/** A canonical JSON document as a blob. */
export function blob(mediaType: string, value: Json): Blob {
  const bytes = canonicalBytes(value)
  return { digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, mediaType, bytes }
}

export const descriptor = (b: Blob): { [key: string]: Json } => ({
  mediaType: b.mediaType,
  digest: b.digest,
  size: b.bytes.length,
})

function platformJson(p: Platform): { [key: string]: Json } {
  return p.variant
    ? { architecture: p.architecture, os: p.os, variant: p.variant }
    : { architecture: p.architecture, os: p.os }
}

/** The annotations of the index and of every manifest (the config carries them as labels). */
export function annotationsOf(input: ImageInput): Record<string, string> {
  const out: Record<string, string> = {
    [ANNOTATIONS.template]: input.template,
    [ANNOTATIONS.title]: input.template,
  }
  if (input.source !== null) out[ANNOTATIONS.source] = input.source
  if (input.commit !== null) out[ANNOTATIONS.revision] = input.commit
  return out
}

export function buildImage(input: ImageInput): Image {
  const annotations = annotationsOf(input)
  const layer = {
    mediaType: MEDIA_TYPES.layer,
    digest: input.digest,
    size: input.size,
    // oras names the file it writes after this; other clients unpack the tar.
    annotations: { [ANNOTATIONS.title]: `${input.template}.tar` },
  }
  const manifests = input.platforms.map((platform) => {
    const config = blob(MEDIA_TYPES.config, {
      ...platformJson(platform),
      created: CREATED,
      config: { Labels: annotations },
      rootfs: { type: 'layers', diff_ids: [input.digest] },
    })
    const manifest = blob(MEDIA_TYPES.manifest, {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.manifest,
      config: descriptor(config),
      layers: [layer],
      annotations,
    })
    return { platform, manifest, config }
  })
  const index = blob(MEDIA_TYPES.index, {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.index,
    manifests: manifests.map((m) => ({
      ...descriptor(m.manifest),
      platform: platformJson(m.platform),
    })),
    annotations,
  })
  return { index, manifests, layer: { digest: input.digest, size: input.size } }
}

/** `[http(s)://host/path]/owner/repo` for the source annotation: the Gitea page when its URL is known. */
export function sourceOf(giteaBaseUrl: string | null, repo: string | null): string | null {
  if (repo === null) return null
  if (giteaBaseUrl === null) return repo
  return `${giteaBaseUrl.replace(/\/+$/, '')}/${repo}`
}

/** `os/arch[/variant]`, each part lower-case letters, digits or `_`. */
const PLATFORM = /^([a-z0-9_]+)\/([a-z0-9_]+)(?:\/([a-z0-9_]+))?$/

/** Parses `linux/amd64,linux/arm64`; null with a reason when an entry does not parse. */
export function parsePlatforms(text: string): { platforms: Platform[] } | { error: string } {
  const platforms: Platform[] = []
  const seen = new Set<string>()
  for (const raw of text.split(',')) {
    const entry = raw.trim()
    const m = PLATFORM.exec(entry)
    if (!m)
      return { error: `expected os/architecture[/variant] such as linux/amd64, got "${entry}"` }
    if (seen.has(entry)) return { error: `"${entry}" is listed twice` }
    seen.add(entry)
    const [, os, architecture, variant] = m as unknown as [string, string, string, string?]
    platforms.push(variant ? { os, architecture, variant } : { os, architecture })
  }
  return { platforms }
}
