// What a template name resolves to for provisioners: the manifest's pin when it has one (a digest,
// or the ready version of a commit: nothing until that commit is fetched), else the admin pin,
// else the current ready version. The manifest wins: it is the one pin every replica obeys. Shared by the template routes, the bundle scope check and the
// corrupt-blob handler.
import type { BundleRow, Index, TemplateRow, VersionRow } from '../db/index.js'

export interface Resolved {
  template: TemplateRow
  /** Null while nothing is ready yet. */
  digest: string | null
  /** The version behind the digest (for a pin: the newest version with that digest), if any. */
  version: VersionRow | null
  pinned: boolean
  /** Who pinned it: the manifest (every replica) or an admin (this replica); null when not pinned. */
  pinnedBy: 'manifest' | 'admin' | null
}

/** What anyone who may resolve a template sees of one of its versions. */
export interface VersionSummary {
  commit: string | null
  digest: string | null
  status: VersionRow['status']
  reasonCode: string | null
  reasonDetail: string | null
  /** The archive entry a rejection names (hostile text). */
  reasonEntry: string | null
  createdAt: number
  readyAt: number | null
  fileCount: number | null
  bundleBytes: number | null
  /** Whether it is the version `currentId` names (the served one, or the branch head's). */
  current: boolean
}

export function versionSummary(v: VersionRow, currentId: number | null): VersionSummary {
  return {
    commit: v.commit,
    digest: v.digest,
    status: v.status,
    reasonCode: v.reasonCode,
    reasonDetail: v.reasonDetail,
    reasonEntry: v.reasonEntry,
    createdAt: v.createdAt,
    readyAt: v.readyAt,
    fileCount: v.fileCount,
    bundleBytes: v.bundleBytes,
    current: v.id === currentId,
  }
}

/** A manifest pin that is a digest (the other kind is a commit id). */
export const isDigestPin = (pin: string): boolean => pin.startsWith('sha256:')

/** The commit a manifest `pin:` names (a digest pin leaves fetching to the branch head), or null. */
export function commitPin(template: TemplateRow): string | null {
  const pin = template.manifestPin
  return pin !== null && !isDigestPin(pin) ? pin : null
}

export function resolveTemplate(index: Index, template: TemplateRow): Resolved {
  const pin = template.manifestPin
  if (pin !== null) {
    if (isDigestPin(pin)) {
      const version = index.versions.readyWithDigest(template.name, pin)
      return { template, digest: pin, version, pinned: true, pinnedBy: 'manifest' }
    }
    const v = index.versions.byCommit(template.name, pin)
    const version = v?.status === 'ready' && v.digest ? v : null
    return {
      template,
      digest: version?.digest ?? null,
      version,
      pinned: true,
      pinnedBy: 'manifest',
    }
  }
  if (template.pinnedDigest) {
    const digest = template.pinnedDigest
    const version = index.versions.readyWithDigest(template.name, digest)
    return { template, digest, version, pinned: true, pinnedBy: 'admin' }
  }
  const current =
    template.currentVersionId === null ? null : index.versions.get(template.currentVersionId)
  const ready = current && current.status === 'ready' && current.digest ? current : null
  return { template, digest: ready?.digest ?? null, version: ready, pinned: false, pinnedBy: null }
}

/** What `GET /v1/templates/{name}` answers for an active template, computed once per index state. */
export interface ResolvedView extends Resolved {
  /** The bundle row of `digest`; null while nothing is ready (or its row is gone). */
  bundle: BundleRow | null
  /** `"<digest>"` and the JSON body, when a bundle is ready; null means 503 NOT_READY. */
  ready: { etag: string; body: string } | null
}

function viewOf(index: Index, template: TemplateRow): ResolvedView {
  const r = resolveTemplate(index, template)
  const bundle = r.digest ? index.bundles.get(r.digest) : null
  if (!r.digest || !bundle) return { ...r, bundle, ready: null }
  const body = JSON.stringify({
    name: template.name,
    repo: template.repo,
    ref: template.ref,
    commit: r.version?.commit ?? null,
    digest: r.digest,
    size: bundle.size,
    fileCount: bundle.fileCount,
    readyAt: r.version?.readyAt ?? bundle.createdAt,
    bundleUrl: `/v1/bundles/${r.digest}`,
    pinned: r.pinned,
  })
  return { ...r, bundle, ready: { etag: `"${r.digest}"`, body } }
}

/**
 * Resolved views of active templates, kept until the index changes (Index.changeStamp: a write
 * through this connection — new version, setCurrent, pin, unpin, sync, GC — or a commit by another
 * process, such as the CLI's gc or ingest). A resolve then costs one pragma read, not 3–4 queries.
 * Unknown and removed names are not kept, so the map is bounded by the manifest.
 */
export class ResolvedViews {
  readonly #index: Index
  readonly #views = new Map<string, ResolvedView>()
  #local = -1
  #remote = -1

  constructor(index: Index) {
    this.#index = index
  }

  /** The view of the active template `name`, or null when there is none. */
  get(name: string): ResolvedView | null {
    const [local, remote] = this.#index.changeStamp()
    if (local !== this.#local || remote !== this.#remote) {
      this.#views.clear()
      this.#local = local
      this.#remote = remote
    }
    const kept = this.#views.get(name)
    if (kept) return kept
    const template = activeTemplate(this.#index, name)
    if (!template) return null
    const view = viewOf(this.#index, template)
    this.#views.set(name, view)
    return view
  }
}

/** Active (not removed from the manifest) template by name, or null. */
export function activeTemplate(index: Index, name: string): TemplateRow | null {
  const t = index.templates.get(name)
  return t && t.removedAt === null ? t : null
}
