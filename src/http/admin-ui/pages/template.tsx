// `/admin/templates/:name`: what the template serves and since when, its version timeline with
// rejection reasons and provenance, the served bundle's files, and its jobs and deliveries.
import type { TemplateDetail } from '../../../admin/views.js'
import { formatBytes } from '../../../units.js'
import { fileMode } from '../format.js'
import { type Flash, Layout, PostButton } from '../layout.js'
import { Ago, type Column, CommitLink, Digest, Pill, PinBadge, Table } from '../parts.js'
import type { AdminSession } from '../session.js'
import { DeliveryTable, JobTable } from './queue.js'
import { EntryName, Version } from './version.js'

export interface TemplatePageProps {
  session: AdminSession
  detail: TemplateDetail
  now: number
  flash: Flash | null
}

const fileColumns: Column<TemplateDetail['files'][number]>[] = [
  { head: 'Path', class: 'mono', cell: (f) => f.path },
  { head: 'Size', class: 'num', cell: (f) => formatBytes(f.size) },
  { head: 'Mode', class: 'mono', cell: (f) => fileMode(f.mode) },
  {
    head: 'sha256',
    class: 'mono digest',
    title: (f) => f.sha256,
    cell: (f) => f.sha256.slice(0, 12),
  },
]

export function TemplatePage(props: TemplatePageProps) {
  const { detail, session, now } = props
  const t = detail.template
  const base = `/admin/templates/${encodeURIComponent(t.name)}`
  const button = (path: string, label: string, className: string) => (
    <PostButton session={session} action={`${base}/${path}`} label={label} className={className} />
  )
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
          {t.tracked ? button('refresh', 'Refresh now', 'primary') : null}
          {t.pinned?.by === 'admin' && !t.removed ? button('unpin', 'Unpin', 'danger') : null}
          {t.tracked ? null : button('forget', 'Forget this template', 'danger')}
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
      <Table
        id="files"
        columns={fileColumns}
        rows={detail.files}
        cards
        empty="Nothing served yet."
      />

      <h2>Jobs</h2>
      <JobTable jobs={detail.jobs} now={now} empty="No jobs for this template." />

      <h2>Deliveries for its repository</h2>
      <DeliveryTable deliveries={detail.deliveries} now={now} />
    </Layout>
  )
}
