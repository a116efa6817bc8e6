// `/admin`: every template with what it serves, since when, and why it is not green; store usage.

import type { QueueView, StoreView } from '../../../admin/service-views.js'
import type { TemplateView } from '../../../admin/views.js'
import { type Flash, Layout } from '../layout.js'
import { Ago, CommitLink, Digest, Pill, PinBadge, Published, UsageBar } from '../parts.js'
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

function TemplateRow({ t, now }: { t: TemplateView; now: number }) {
  const commitUrl = t.repoUrl && t.commit ? `${t.repoUrl}/commit/${t.commit}` : null
  return (
    <tr data-template={t.name}>
      <td data-label="Status" class="nowrap">
        <span>
          <Pill status={t.health} />
          {t.job ? (
            <>
              {' '}
              <span class="badge" title={`job ${t.job.id}`}>
                {t.job.state}
              </span>
            </>
          ) : null}
        </span>
      </td>
      <td data-label="Name" class="nowrap">
        <span>
          <a href={templateHref(t.name)}>
            <b>{t.name}</b>
          </a>
          {t.removed || !t.tracked ? (
            <>
              {' '}
              <span class="badge">{t.removed ? 'removed' : 'untracked'}</span>
            </>
          ) : null}
          {t.branchDeleted ? (
            <>
              {' '}
              <span class="badge">branch deleted</span>
            </>
          ) : null}
        </span>
      </td>
      <td data-label="Repository" class="nowrap">
        {t.repo ? (
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
        ) : (
          <span class="muted">—</span>
        )}
      </td>
      <td data-label="Commit" class="nowrap">
        <CommitLink commit={t.commit} url={commitUrl} />
      </td>
      <td data-label="Digest" class="nowrap">
        <Digest digest={t.digest} />
      </td>
      <td data-label="Since" class="nowrap">
        <Ago at={t.since} now={now} />
      </td>
      <td data-label="Pin">
        <PinBadge pinned={t.pinned} />
      </td>
      <td data-label="Published" class="nowrap">
        <Published publish={t.publish} />
      </td>
      <td data-label="Last error">
        {t.lastError ? (
          <span>
            <code title={t.lastError.detail ?? undefined}>{t.lastError.code}</code>
            <br />
            <span class="small muted advice">{t.lastError.advice}</span>
          </span>
        ) : (
          <span class="muted">—</span>
        )}
      </td>
    </tr>
  )
}

export function OverviewPage(props: OverviewProps) {
  const { templates, now } = props
  return (
    <Layout title="Templates" session={props.session} active="templates" flash={props.flash}>
      <h1>Templates</h1>
      {templates.length === 0 ? (
        <div class="card muted">
          No templates are configured. Add them to the manifest named by{' '}
          <code>ASSET_CACHE_TEMPLATES</code>.
        </div>
      ) : (
        <div class="scroll cards">
          <table id="templates" class="cards">
            <thead>
              <tr>
                <th>Status</th>
                <th>Name</th>
                <th>Repository</th>
                <th>Commit</th>
                <th>Digest</th>
                <th>Since</th>
                <th>Pin</th>
                <th>Published</th>
                <th>Last error</th>
              </tr>
            </thead>
            <tbody>
              {templates.map((t) => (
                <TemplateRow t={t} now={now} />
              ))}
            </tbody>
          </table>
        </div>
      )}
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
