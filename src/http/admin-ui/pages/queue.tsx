// `/admin/queue`: queued, running and failed jobs, and the recent webhook deliveries.

import type { QueueView } from '../../../admin/service-views.js'
import type { JobView } from '../../../admin/views.js'
import type { DeliveryRow } from '../../../db/index.js'
import { shortSha } from '../format.js'
import { type Flash, Layout } from '../layout.js'
import { Ago, Pill } from '../parts.js'
import type { AdminSession } from '../session.js'

export function JobTable(props: { jobs: JobView[]; now: number; empty: string }) {
  if (props.jobs.length === 0) return <div class="card muted">{props.empty}</div>
  return (
    <div class="scroll">
      <table>
        <thead>
          <tr>
            <th>Job</th>
            <th>State</th>
            <th>Template</th>
            <th>Trigger</th>
            <th>Attempts</th>
            <th>Next attempt</th>
            <th>Created</th>
            <th>Last error</th>
          </tr>
        </thead>
        <tbody>
          {props.jobs.map((j) => (
            <tr>
              <td class="nowrap">#{j.id}</td>
              <td class="nowrap">
                <Pill status={j.state} />
                {j.force ? (
                  <>
                    {' '}
                    <span class="badge">force</span>
                  </>
                ) : null}
              </td>
              <td class="nowrap">
                <a href={`/admin/templates/${encodeURIComponent(j.template)}`}>{j.template}</a>
              </td>
              <td class="nowrap">
                {j.trigger}
                {j.deliveryId ? <div class="muted small mono">{j.deliveryId}</div> : null}
              </td>
              <td class="num">{j.attempts}</td>
              <td class="nowrap">
                <Ago at={j.nextAttemptAt} now={props.now} />
              </td>
              <td class="nowrap">
                <Ago at={j.createdAt} now={props.now} />
              </td>
              <td>
                {j.lastErrorCode ? (
                  <>
                    <code>{j.lastErrorCode}</code>
                    {j.lastError ? <div class="muted small">{j.lastError}</div> : null}
                  </>
                ) : (
                  <span class="muted">—</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

export function DeliveryTable(props: { deliveries: DeliveryRow[]; now: number }) {
  if (props.deliveries.length === 0) return <div class="card muted">No deliveries recorded.</div>
  return (
    <div class="scroll">
      <table>
        <thead>
          <tr>
            <th>Received</th>
            <th>Event</th>
            <th>Repository</th>
            <th>Ref</th>
            <th>After</th>
            <th>Outcome</th>
            <th>Reason</th>
            <th>Delivery</th>
          </tr>
        </thead>
        <tbody>
          {props.deliveries.map((d) => (
            <tr>
              <td class="nowrap">
                <Ago at={d.receivedAt} now={props.now} />
              </td>
              <td class="nowrap">{d.event}</td>
              <td class="nowrap">{d.repo ?? '—'}</td>
              <td class="nowrap">{d.ref ?? '—'}</td>
              <td class="nowrap">
                <code title={d.after ?? undefined}>{shortSha(d.after)}</code>
              </td>
              <td class="nowrap">
                <span class="badge">{d.outcome}</span>
              </td>
              <td>{d.reason ?? <span class="muted">—</span>}</td>
              <td class="mono small">{d.deliveryId ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
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
