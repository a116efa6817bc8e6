// `/admin`: every template with what it serves, since when, and why it is not green; store usage.

import type { QueueView, StoreView } from '../../../admin/service-views.js'
import type { TemplateView } from '../../../admin/views.js'
import { type Flash, Layout } from '../layout.js'
import {
  Ago,
  Badge,
  type Column,
  CommitLink,
  Digest,
  Pill,
  PinBadge,
  Published,
  Table,
  UsageBar,
} from '../parts.js'
import type { AdminSession } from '../session.js'

export interface OverviewProps {
  session: AdminSession
  templates: TemplateView[]
  store: StoreView
  depth: QueueView['depth']
  now: number
  flash: Flash | null
}

const templateHref = (name: string) => `/admin/templates/${encodeURIComponent(name)}`
const commitUrl = (t: TemplateView) =>
  t.repoUrl && t.commit ? `${t.repoUrl}/commit/${t.commit}` : null

function Status({ t }: { t: TemplateView }) {
  return (
    <span>
      <Pill status={t.health} />
      {t.job ? <Badge text={t.job.state} title={`job ${t.job.id}`} /> : null}
    </span>
  )
}

function Name({ t }: { t: TemplateView }) {
  return (
    <span>
      <a href={templateHref(t.name)}>
        <b>{t.name}</b>
      </a>
      <Badge text={t.removed ? 'removed' : t.tracked ? null : 'untracked'} />
      <Badge text={t.branchDeleted ? 'branch deleted' : null} />
    </span>
  )
}

function Repository({ t }: { t: TemplateView }) {
  if (!t.repo) return <span class="muted">—</span>
  return (
    <span>
      {t.repoUrl ? (
        <a href={t.repoUrl} rel="noreferrer">
          {t.repo}
        </a>
      ) : (
        t.repo
      )}
      <span class="muted">@{t.ref}</span>
    </span>
  )
}

function LastError({ error }: { error: TemplateView['lastError'] }) {
  if (!error) return <span class="muted">—</span>
  return (
    <span>
      <code title={error.detail ?? undefined}>{error.code}</code>
      <br />
      <span class="small muted advice">{error.advice}</span>
    </span>
  )
}

const columns = (now: number): Column<TemplateView>[] => [
  { head: 'Status', class: 'nowrap', cell: (t) => <Status t={t} /> },
  { head: 'Name', class: 'nowrap', cell: (t) => <Name t={t} /> },
  { head: 'Repository', class: 'nowrap', cell: (t) => <Repository t={t} /> },
  {
    head: 'Commit',
    class: 'nowrap',
    cell: (t) => <CommitLink commit={t.commit} url={commitUrl(t)} />,
  },
  { head: 'Digest', class: 'nowrap', cell: (t) => <Digest digest={t.digest} /> },
  { head: 'Since', class: 'nowrap', cell: (t) => <Ago at={t.since} now={now} /> },
  { head: 'Pin', cell: (t) => <PinBadge pinned={t.pinned} /> },
  { head: 'Published', class: 'nowrap', cell: (t) => <Published publish={t.publish} /> },
  { head: 'Last error', cell: (t) => <LastError error={t.lastError} /> },
]

export function OverviewPage(props: OverviewProps) {
  const { templates, now } = props
  return (
    <Layout title="Templates" session={props.session} active="templates" flash={props.flash}>
      <h1>Templates</h1>
      <Table
        id="templates"
        columns={columns(now)}
        rows={templates}
        cards
        rowAttrs={(t) => ({ 'data-template': t.name })}
        empty={
          <>
            No templates are configured. Add them to the manifest named by{' '}
            <code>ASSET_CACHE_TEMPLATES</code>.
          </>
        }
      />
      <div class="grid2" style="margin-top:1rem">
        <section class="card">
          <h2 style="margin-top:0">Store</h2>
          <UsageBar store={props.store} />
          <p class="small">
            <a href="/admin/store">Garbage collection and verification</a>
          </p>
        </section>
        <section class="card">
          <h2 style="margin-top:0">Queue</h2>
          <p>
            <b>{props.depth.queued}</b> queued · <b>{props.depth.running}</b> running
          </p>
          <p class="small">
            <a href="/admin/queue">Jobs and recent deliveries</a>
          </p>
        </section>
      </div>
    </Layout>
  )
}
