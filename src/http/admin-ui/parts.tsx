// Small pieces every page uses: tables, status pills, commit links, digests, ages, the store
// usage bar.
import type { Child } from 'hono/jsx'
import type { PublishView } from '../../admin/publish-view.js'
import type { StoreView } from '../../admin/service-views.js'
import type { TemplateView } from '../../admin/views.js'
import { formatBytes } from '../../units.js'
import { ago, isoTime, percent, shortDigest, shortSha } from './format.js'

export function Pill({ status }: { status: string }) {
  return <span class={`pill ${status}`}>{status}</span>
}

/** A badge after what it qualifies, a space between; nothing without a text. */
export function Badge({ text, title }: { text: string | null; title?: string }) {
  if (!text) return null
  return (
    <>
      {' '}
      <span class="badge" title={title}>
        {text}
      </span>
    </>
  )
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

/** A column of a Table: its header, what a row shows in it, the cell's class and tooltip. */
export interface Column<T> {
  head: string
  cell: (row: T) => Child
  class?: string
  title?: (row: T) => string
}

/**
 * Rows under their column heads, in a box that scrolls sideways. With `cards`, narrow screens show
 * each row as a card whose cells carry their head as a label (styles.ts). `empty`, when given,
 * stands in for a table without rows.
 */
export function Table<T>(props: {
  columns: Column<T>[]
  rows: T[]
  id?: string
  cards?: boolean
  empty?: Child
  style?: string
  rowAttrs?: (row: T) => Record<string, string>
}) {
  const { columns, cards } = props
  if (props.rows.length === 0 && props.empty !== undefined) {
    return <div class="card muted">{props.empty}</div>
  }
  return (
    <div class={cards ? 'scroll cards' : 'scroll'} style={props.style}>
      <table id={props.id} class={cards ? 'cards' : undefined}>
        <thead>
          <tr>
            {columns.map((col) => (
              <th>{col.head}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <tr {...props.rowAttrs?.(row)}>
              {columns.map((col) => (
                <td
                  data-label={cards ? col.head : undefined}
                  class={col.class}
                  title={col.title?.(row)}
                >
                  {col.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
