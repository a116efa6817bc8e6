// `/admin/queue`: queued, running and failed jobs, and the recent webhook deliveries.

import type { QueueView } from '../../../admin/service-views.js'
import type { JobView } from '../../../admin/views.js'
import type { DeliveryRow } from '../../../db/index.js'
import { shortSha } from '../format.js'
import { type Flash, Layout } from '../layout.js'
import { Ago, Badge, type Column, Pill, Table } from '../parts.js'
import type { AdminSession } from '../session.js'

function JobError({ job }: { job: JobView }) {
  if (!job.lastErrorCode) return <span class="muted">—</span>
  return (
    <>
      <code>{job.lastErrorCode}</code>
      {job.lastError ? <div class="muted small">{job.lastError}</div> : null}
    </>
  )
}

export function JobTable(props: { jobs: JobView[]; now: number; empty: string }) {
  const columns: Column<JobView>[] = [
    { head: 'Job', class: 'nowrap', cell: (j) => `#${j.id}` },
    {
      head: 'State',
      class: 'nowrap',
      cell: (j) => (
        <>
          <Pill status={j.state} />
          <Badge text={j.force ? 'force' : null} />
        </>
      ),
    },
    {
      head: 'Template',
      class: 'nowrap',
      cell: (j) => <a href={`/admin/templates/${encodeURIComponent(j.template)}`}>{j.template}</a>,
    },
    {
      head: 'Trigger',
      class: 'nowrap',
      cell: (j) => (
        <>
          {j.trigger}
          {j.deliveryId ? <div class="muted small mono">{j.deliveryId}</div> : null}
        </>
      ),
    },
    { head: 'Attempts', class: 'num', cell: (j) => j.attempts },
    {
      head: 'Next attempt',
      class: 'nowrap',
      cell: (j) => <Ago at={j.nextAttemptAt} now={props.now} />,
    },
    { head: 'Created', class: 'nowrap', cell: (j) => <Ago at={j.createdAt} now={props.now} /> },
    { head: 'Last error', cell: (j) => <JobError job={j} /> },
  ]
  return <Table columns={columns} rows={props.jobs} empty={props.empty} />
}

export function DeliveryTable(props: { deliveries: DeliveryRow[]; now: number }) {
  const columns: Column<DeliveryRow>[] = [
    { head: 'Received', class: 'nowrap', cell: (d) => <Ago at={d.receivedAt} now={props.now} /> },
    { head: 'Event', class: 'nowrap', cell: (d) => d.event },
    { head: 'Repository', class: 'nowrap', cell: (d) => d.repo ?? '—' },
    { head: 'Ref', class: 'nowrap', cell: (d) => d.ref ?? '—' },
    {
      head: 'After',
      class: 'nowrap',
      cell: (d) => <code title={d.after ?? undefined}>{shortSha(d.after)}</code>,
    },
    { head: 'Outcome', class: 'nowrap', cell: (d) => <span class="badge">{d.outcome}</span> },
    { head: 'Reason', cell: (d) => d.reason ?? <span class="muted">—</span> },
    { head: 'Delivery', class: 'mono small', cell: (d) => d.deliveryId ?? '—' },
  ]
  return <Table columns={columns} rows={props.deliveries} empty="No deliveries recorded." />
}

export interface QueuePageProps {
  session: AdminSession
  queue: QueueView
  deliveries: DeliveryRow[]
  now: number
  flash: Flash | null
}

export function QueuePage(props: QueuePageProps) {
  const { queue, now } = props
  return (
    <Layout title="Queue" session={props.session} active="queue" flash={props.flash}>
      <h1>Queue</h1>
      <p>
        <b>{queue.depth.queued}</b> queued · <b>{queue.depth.running}</b> running ·{' '}
        <b>{queue.failed.length}</b> failed (latest)
      </p>
      <h2>Running</h2>
      <JobTable jobs={queue.running} now={now} empty="Nothing running." />
      <h2>Queued</h2>
      <JobTable jobs={queue.queued} now={now} empty="Nothing queued." />
      <h2>Failed</h2>
      <JobTable jobs={queue.failed} now={now} empty="No failed jobs." />
      <h2>Recent deliveries</h2>
      <DeliveryTable deliveries={props.deliveries} now={now} />
    </Layout>
  )
}
