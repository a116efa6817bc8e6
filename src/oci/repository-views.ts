// Each template as an OCI repository: its tags, and the index, manifests and configs of every
// ready version whose bundle is still stored, by digest. Built from the index and kept until the
// index changes (Index.changeStamp), like the resolved views. Each app keeps one
// (AppDeps.state.ociViews); the publisher keeps its own, so both give the same tags and bytes.

import { PREDICATE_TYPE } from '../attest/statement.js'
import { activeTemplate, resolveTemplate } from '../cache/resolve.js'
import type { Index, TemplateRow, VersionRow } from '../db/index.js'
import { type Blob, buildImage, type Image, type Platform, sourceOf } from './image.js'
import { commitTag, LATEST, refTag, repositoryOf } from './naming.js'
import { EMPTY_CONFIG, type ImageReferrer, imageReferrers, type Referrer } from './referrers.js'

/** How stale another process's commits may be on the hot blob path (RepositoryViews.kept). */
export const REMOTE_CHECK_MS = 250

/** Versions looked at per template, newest first (each one's tag is its commit). */
export const VERSIONS_TAGGED = 100

export interface RepositoryView {
  template: string
  repository: string
  /** tag → image. */
  tags: Map<string, Image>
  /** digest → image index or image manifest. */
  manifests: Map<string, Blob>
  /** digest → image config. */
  configs: Map<string, Blob>
  /** digest → size of each layer (a bundle). */
  layers: Map<string, number>
  /** subject digest (an index or manifest above) → the attestation artifacts that refer to it. */
  referrers: Map<string, Referrer[]>
  /** digest → blob of an attestation artifact: its DSSE envelope, or the empty config. */
  attachments: Map<string, Blob>
}

/** The attestation referrers of `image` (of `template` at `commit`), as /v2 serves them. */
export function referrersOf(
  index: Index,
  template: string,
  image: Image,
  commit: string | null,
): ImageReferrer[] {
  const rows = index.attestations
    .byDigest(image.layer.digest)
    .filter((r) => r.template === template && r.commit === commit)
  return imageReferrers(image, rows, PREDICATE_TYPE)
}

/** Attaches the attestations of `image` (this template's, of that commit) as referrers. */
function attachAttestations(
  index: Index,
  view: RepositoryView,
  image: Image,
  commit: string | null,
) {
  const referrers = referrersOf(index, view.template, image, commit)
  if (referrers.length === 0) return
  view.attachments.set(EMPTY_CONFIG.digest, EMPTY_CONFIG)
  for (const { subject, envelope, referrer } of referrers) {
    view.attachments.set(envelope.digest, envelope)
    view.manifests.set(referrer.manifest.digest, referrer.manifest)
    const list = view.referrers.get(subject.digest) ?? []
    if (!list.some((r) => r.manifest.digest === referrer.manifest.digest)) list.push(referrer)
    view.referrers.set(subject.digest, list)
  }
}

export interface OciOptions {
  platforms: readonly Platform[]
  /** GITEA_BASE_URL as configured (href), or null. */
  sourceBase: string | null
}

function buildView(index: Index, options: OciOptions, template: TemplateRow): RepositoryView {
  const view: RepositoryView = {
    template: template.name,
    repository: repositoryOf(template.name),
    tags: new Map(),
    manifests: new Map(),
    configs: new Map(),
    layers: new Map(),
    referrers: new Map(),
    attachments: new Map(),
  }
  const source = sourceOf(options.sourceBase, template.repo)
  const built = new Map<string, Image | null>()
  const imageOf = (digest: string, commit: string | null): Image | null => {
    const key = `${digest} ${commit}`
    if (built.has(key)) return built.get(key)!
    const bundle = index.bundles.get(digest)
    const image = bundle
      ? buildImage({
          template: template.name,
          digest,
          size: bundle.size,
          commit,
          source,
          platforms: options.platforms,
        })
      : null
    built.set(key, image)
    if (image) {
      view.manifests.set(image.index.digest, image.index)
      for (const m of image.manifests) {
        view.manifests.set(m.manifest.digest, m.manifest)
        view.configs.set(m.config.digest, m.config)
      }
      view.layers.set(digest, bundle!.size)
      attachAttestations(index, view, image, commit)
    }
    return image
  }
  const ready = (v: VersionRow | null) => (v?.status === 'ready' && v.digest ? v : null)

  for (const v of index.versions.list(template.name, VERSIONS_TAGGED)) {
    if (!ready(v)) continue
    const image = imageOf(v.digest!, v.commit)
    const tag = commitTag(v.commit)
    if (image && tag && !view.tags.has(tag)) view.tags.set(tag, image)
  }
  // The tracked ref's tag: the current version from the branch, pinned or not.
  const ref = template.ref === null ? null : refTag(template.ref)
  if (ref !== null && template.currentVersionId !== null) {
    const current = ready(index.versions.get(template.currentVersionId))
    const image = current && imageOf(current.digest!, current.commit)
    if (image) view.tags.set(ref, image)
  }
  // `latest`: what GET /v1/templates/{name} answers (the pin, else the current version).
  const resolved = resolveTemplate(index, template)
  if (resolved.digest) {
    const image = imageOf(resolved.digest, resolved.version?.commit ?? null)
    if (image) view.tags.set(LATEST, image)
  }
  return view
}

export class RepositoryViews {
  readonly #index: Index
  readonly #options: OciOptions
  readonly #views = new Map<string, RepositoryView>()
  #stamp: readonly [number, number] = [-1, -1]

  constructor(index: Index, options: OciOptions) {
    this.#index = index
    this.#options = options
  }

  /** When another process's commits were last looked for (see kept()). */
  #remoteSeenAt = Number.NEGATIVE_INFINITY

  /**
   * The repository of `name` as last built, without reading SQLite's data_version (tens of µs):
   * this process's own writes are seen at once (total_changes), another process's commits (a
   * CLI beside the server) at most REMOTE_CHECK_MS late. For the hot blob path only.
   */
  kept(name: string, now: number): RepositoryView | null {
    if (
      now - this.#remoteSeenAt < REMOTE_CHECK_MS &&
      this.#index.localChanges() === this.#stamp[0]
    ) {
      const kept = this.#views.get(name)
      if (kept) return kept
    }
    this.#remoteSeenAt = now
    return this.get(name)
  }

  /** The repository of active template `name`, or null. */
  get(name: string): RepositoryView | null {
    const stamp = this.#index.changeStamp()
    if (stamp[0] !== this.#stamp[0] || stamp[1] !== this.#stamp[1]) {
      this.#views.clear()
      this.#stamp = stamp
    }
    const kept = this.#views.get(name)
    if (kept) return kept
    const template = activeTemplate(this.#index, name)
    if (!template) return null
    const view = buildView(this.#index, this.#options, template)
    this.#views.set(name, view)
    return view
  }
}
