// Small pieces every page uses: status pills, commit links, digests, ages, the store usage bar.
import type { PublishView } from '../../admin/publish-view.js'
import type { StoreView } from '../../admin/service-views.js'
import type { TemplateView } from '../../admin/views.js'
import { formatBytes } from '../../units.js'
import { ago, isoTime, percent, shortDigest, shortSha } from './format.js'

export function Pill({ status }: { status: string }) {
  return <span class={`pill ${status}`}>{status}</span>
}

export function CommitLink({ commit, url }: { commit: string | null; url: string | null }) {
  if (!commit) return <span class="muted">—</span>
  const text = <code title={commit}>{shortSha(commit)}</code>
  return url ? (
    <a href={url} rel="noreferrer">
      {text}
    </a>
  ) : (
    text
  )
}

/**
 * Who holds a pin: the manifest (every replica), or an admin — which, with peers configured, is
 * this replica's alone and said so.
 */
export function PinBadge({ pinned }: { pinned: TemplateView['pinned'] }) {
  if (!pinned) return null
  const text =
    pinned.by === 'manifest'
      ? 'pinned by manifest'
      : pinned.local
        ? 'pinned on this replica only'
        : 'pinned'
  return <span class="badge pinned">{text}</span>
}

export function Digest({ digest }: { digest: string | null }) {
  if (!digest) return <span class="muted">—</span>
  return (
    <code class="digest" title={digest}>
      {shortDigest(digest)}
    </code>
  )
}

export function Ago({ at, now }: { at: number | null; now: number }) {
  if (at === null) return <span class="muted">—</span>
  return (
    <time datetime={isoTime(at)} title={isoTime(at)} class="nowrap">
      {ago(at, now)}
    </time>
  )
}

export function UsageBar({ store }: { store: StoreView }) {
  const width =
    store.bytes > 0 ? Math.max(1, Math.min(100, Math.round(store.ratio * 1000) / 10)) : 0
  const level = store.ratio > 1 ? 'over' : store.ratio > 0.9 ? 'warn' : ''
  return (
    <div>
      <div>
        <b>{formatBytes(store.bytes)}</b> of {formatBytes(store.budgetBytes)} budget ·{' '}
        {percent(store.ratio)} · {store.bundles} bundle{store.bundles === 1 ? '' : 's'}
      </div>
      <div class={`bar ${level}`} aria-hidden="true">
        <span style={`width:${width}%`} />
      </div>
    </div>
  )
}

/** A version's state at ASSET_CACHE_OCI_PUBLISH: published, pending, or failed with its code. */
export function Published({ publish }: { publish: PublishView | null }) {
  if (!publish) return <span class="muted">—</span>
  const title = `${publish.target} · ${publish.attempts} attempt${publish.attempts === 1 ? '' : 's'}`
  return (
    <span class={`badge publish ${publish.status}`} title={title}>
      {publish.status}
      {publish.error ? <> · {publish.error}</> : null}
    </span>
  )
}
