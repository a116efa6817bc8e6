// `/admin/templates/:name`: what the template serves and since when, its version timeline with
// rejection reasons and provenance, the served bundle's files, and its jobs and deliveries.
import type { TemplateDetail, VersionView } from '../../../admin/views.js'
import { printableName } from '../../../bundle/names.js'
import { formatBytes } from '../../../units.js'
import { duration, fileMode } from '../format.js'
import { type Flash, Layout, PostButton } from '../layout.js'
import { Ago, CommitLink, Digest, Pill, PinBadge, Published } from '../parts.js'
import type { AdminSession } from '../session.js'
import { DeliveryTable, JobTable } from './queue.js'

export interface TemplatePageProps {
  session: AdminSession
  detail: TemplateDetail
  now: number
  flash: Flash | null
}

const bytes = (n: number | null) => (n === null ? '—' : formatBytes(n))

/**
 * The archive entry a rejection names. Hostile text: JSX escapes the HTML, printableName the
 * characters that would still lie on screen (bidi overrides, invisible or line-breaking ones).
 */
function EntryName(props: { entry: string | null }) {
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

function Version(props: {
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

export function TemplatePage(props: TemplatePageProps) {
  const { detail, session, now } = props
  const t = detail.template
  const base = `/admin/templates/${encodeURIComponent(t.name)}`
  const servedCommitUrl = t.repoUrl && t.commit ? `${t.repoUrl}/commit/${t.commit}` : null
  return (
    <Layout title={t.name} session={session} active="templates" flash={props.flash}>
      <h1>
        {t.name} <Pill status={t.health} /> <PinBadge pinned={t.pinned} />
        {t.removed ? <span class="badge">removed</span> : null}
        {!t.tracked && !t.removed ? <span class="badge">untracked</span> : null}
        {t.branchDeleted ? <span class="badge">branch deleted</span> : null}
      </h1>
      <section class="card">
        <dl class="facts">
          <dt>Repository</dt>
          <dd>
            {t.repo ? (
              t.repoUrl ? (
                <a href={t.repoUrl} rel="noreferrer">
                  {t.repo}
                </a>
              ) : (
                t.repo
              )
            ) : (
              '—'
            )}
            {t.ref ? <span class="muted">@{t.ref}</span> : null}
          </dd>
          <dt>Serving</dt>
          <dd>
            <Digest digest={t.digest} />
            {t.commit ? (
              <>
                {' '}
                from <CommitLink commit={t.commit} url={servedCommitUrl} />
              </>
            ) : null}
          </dd>
          <dt>Since</dt>
          <dd>
            <Ago at={t.since} now={now} />
          </dd>
          {t.pinned ? (
            <>
              <dt>Pinned</dt>
              <dd>
                <Digest digest={t.pinned.digest} />
                {t.pinned.commit ? (
                  <>
                    {' '}
                    commit <CommitLink commit={t.pinned.commit} url={null} />
                  </>
                ) : null}
                <span class="muted">
                  {' · '}
                  {t.pinned.by === 'manifest' ? (
                    'by the templates manifest, on every replica'
                  ) : (
                    <>
                      <Ago at={t.pinned.at} now={now} />
                      {t.pinned.local
                        ? ' · on this replica only: pin in the manifest for every replica'
                        : null}
                    </>
                  )}
                </span>
              </dd>
            </>
          ) : null}
          {t.lastError ? (
            <>
              <dt>Last error</dt>
              <dd>
                <code>{t.lastError.code}</code>
                {t.lastError.detail ? <>: {t.lastError.detail}</> : null}
                <EntryName entry={t.lastError.entry} />
                <span class="muted">
                  {' · '}
                  <Ago at={t.lastError.at} now={now} />
                </span>
              </dd>
              <dt>What to do</dt>
              <dd class="advice">{t.lastError.advice}</dd>
            </>
          ) : null}
          {t.job ? (
            <>
              <dt>Job</dt>
              <dd>
                <Pill status={t.job.state} /> #{t.job.id} ({t.job.trigger})
              </dd>
            </>
          ) : null}
        </dl>
        <div class="actions">
          {t.tracked ? (
            <PostButton
              session={session}
              action={`${base}/refresh`}
              label="Refresh now"
              className="primary"
            />
          ) : null}
          {t.pinned?.by === 'admin' && !t.removed ? (
            <PostButton
              session={session}
              action={`${base}/unpin`}
              label="Unpin"
              className="danger"
            />
          ) : null}
          {t.tracked ? null : (
            <PostButton
              session={session}
              action={`${base}/forget`}
              label="Forget this template"
              className="danger"
            />
          )}
        </div>
        {t.tracked ? null : (
          <p class="small muted">
            {t.removed ? 'Removed from the templates manifest' : 'Not in the templates manifest'}{' '}
            (ingested by hand): it never counts against readiness. Forgetting it deletes its
            versions and jobs; bundles no other version keeps are left for garbage collection.
          </p>
        )}
      </section>

      <h2>Versions</h2>
      {detail.versions.length === 0 ? (
        <div class="card muted">No version yet.</div>
      ) : (
        <ol class="timeline" id="versions">
          {detail.versions.map((v) => (
            <Version
              v={v}
              session={session}
              action={`${base}/pin`}
              now={now}
              manifestPinned={t.pinned?.by === 'manifest'}
            />
          ))}
        </ol>
      )}

      <h2>Files of the served bundle</h2>
      {detail.files.length === 0 ? (
        <div class="card muted">Nothing served yet.</div>
      ) : (
        <div class="scroll cards">
          <table id="files" class="cards">
            <thead>
              <tr>
                <th>Path</th>
                <th>Size</th>
                <th>Mode</th>
                <th>sha256</th>
              </tr>
            </thead>
            <tbody>
              {detail.files.map((f) => (
                <tr>
                  <td data-label="Path" class="mono">
                    {f.path}
                  </td>
                  <td data-label="Size" class="num">
                    {formatBytes(f.size)}
                  </td>
                  <td data-label="Mode" class="mono">
                    {fileMode(f.mode)}
                  </td>
                  <td data-label="sha256" class="mono digest" title={f.sha256}>
                    {f.sha256.slice(0, 12)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h2>Jobs</h2>
      <JobTable jobs={detail.jobs} now={now} empty="No jobs for this template." />

      <h2>Deliveries for its repository</h2>
      <DeliveryTable deliveries={detail.deliveries} now={now} />
    </Layout>
  )
}
