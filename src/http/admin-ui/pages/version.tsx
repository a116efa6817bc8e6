// One version on `/admin/templates/:name` (template.tsx): its status, commit, sizes and
// provenance, the rejection reason with the archive entry it names, and the pin button.
import type { VersionView } from '../../../admin/views.js'
import { printableName } from '../../../bundle/names.js'
import { formatBytes } from '../../../units.js'
import { duration } from '../format.js'
import { PostButton } from '../layout.js'
import { Ago, CommitLink, Digest, Pill, Published } from '../parts.js'
import type { AdminSession } from '../session.js'

const bytes = (n: number | null) => (n === null ? '—' : formatBytes(n))

/**
 * The archive entry a rejection names. Hostile text: JSX escapes the HTML, printableName the
 * characters that would still lie on screen (bidi overrides, invisible or line-breaking ones).
 */
export function EntryName(props: { entry: string | null }) {
  if (props.entry === null) return null
  return (
    <>
      {' '}
      in <code class="entry">{printableName(props.entry)}</code>
    </>
  )
}

/** How the commit status of a version fared: posted, failed (Gitea's answer), or waiting. */
function StatusPost(props: { status: VersionView['commitStatus'] }) {
  const s = props.status
  if (s === null) return null
  const outcome =
    s.result === 'posted'
      ? 'posted'
      : s.result === 'queued'
        ? `waiting${s.attempts > 0 ? ` (${s.attempts} tried)` : ''}`
        : s.result
  return (
    <span class="commit-status" data-result={s.result}>
      status <b>{s.state}</b> {outcome}
      {s.error ? <> — {s.error}</> : null}
    </span>
  )
}

export function Version(props: {
  v: VersionView
  session: AdminSession
  action: string
  now: number
  /** The manifest pins the template: an admin pin would not be obeyed. */
  manifestPinned: boolean
}) {
  const { v, now } = props
  const pinnable =
    v.status === 'ready' && !v.evicted && !v.pinned && v.digest !== null && !props.manifestPinned
  return (
    <li
      class={v.status}
      id={`version-${v.id}`}
      data-version={v.id}
      data-digest={v.digest ?? undefined}
    >
      <div class="vhead">
        <CommitLink commit={v.commit} url={v.commitUrl} />
        <Pill status={v.status} />
        {v.current ? <span class="badge current">current</span> : null}
        {v.pinned ? <span class="badge pinned">pinned</span> : null}
        {v.evicted ? <span class="badge evicted">evicted</span> : null}
        {v.digest ? <Digest digest={v.digest} /> : null}
        <span class="when muted small">
          <Ago at={v.createdAt} now={now} /> · {v.source}
        </span>
      </div>
      {v.status !== 'ready' && (v.reasonCode || v.reasonDetail) ? (
        <div class="reason">
          <code>{v.reasonCode ?? 'UNKNOWN'}</code>
          {v.reasonDetail ? <>: {v.reasonDetail}</> : null}
          <EntryName entry={v.reasonEntry} />
        </div>
      ) : null}
      <div class="vstats">
        <span>
          delivery <b class="mono">{v.deliveryId ?? '—'}</b>
        </span>
        {v.jobId !== null ? (
          <span>
            job <b>{v.jobId}</b>
          </span>
        ) : null}
        <span>
          download <b>{bytes(v.compressedBytes)}</b>
        </span>
        <span>
          unpacked <b>{bytes(v.unpackedBytes)}</b>
        </span>
        <span>
          bundle <b>{bytes(v.bundleBytes)}</b>
        </span>
        <span>
          files <b>{v.fileCount ?? '—'}</b>
        </span>
        <StatusPost status={v.commitStatus} />
        <span>
          skipped <b>{v.skippedCount ?? '—'}</b>
        </span>
        <span>
          took <b>{duration(v.durationMs)}</b>
        </span>
        {v.publish ? (
          <span>
            registry <Published publish={v.publish} />
          </span>
        ) : null}
      </div>
      {pinnable ? (
        <div class="actions">
          <PostButton
            session={props.session}
            action={props.action}
            label="Pin this version"
            fields={{ digest: v.digest! }}
          />
        </div>
      ) : null}
    </li>
  )
}
