// `/admin/store`: usage against the budget, GC (dry run or for real) and verify, and the report
// of whichever just ran.
import type { StoreView } from '../../../admin/service-views.js'
import type { GcReport } from '../../../cache/gc.js'
import type { VerifyRepairReport } from '../../../cache/verify.js'
import { formatBytes } from '../../../units.js'
import { duration, shortDigest } from '../format.js'
import { type Flash, Layout, PostButton } from '../layout.js'
import { Ago, type Column, Digest, Table, UsageBar } from '../parts.js'
import type { AdminSession } from '../session.js'

export type StoreReport =
  | { kind: 'gc'; report: GcReport }
  | { kind: 'verify'; report: VerifyRepairReport }

type Step = { name: string; ms: number; counts: Record<string, number> }

const stepColumns: Column<Step>[] = [
  { head: 'Step', class: 'nowrap', cell: (s) => s.name },
  { head: 'Time', class: 'num', cell: (s) => duration(s.ms) },
  {
    head: 'Counts',
    class: 'small',
    cell: (s) =>
      Object.entries(s.counts)
        .map(([k, v]) => `${k} ${v}`)
        .join(' · ') || '—',
  },
]

const removedColumns = (now: number): Column<GcReport['removed'][number]>[] => [
  { head: 'Digest', class: 'nowrap', cell: (r) => <Digest digest={r.digest} /> },
  { head: 'Size', class: 'num', cell: (r) => formatBytes(r.size) },
  { head: 'Last served', class: 'nowrap', cell: (r) => <Ago at={r.lastServedAt} now={now} /> },
  { head: 'Created', class: 'nowrap', cell: (r) => <Ago at={r.createdAt} now={now} /> },
]

function GcResult({ report, now }: { report: GcReport; now: number }) {
  return (
    <section class="card" id="report">
      <h2 style="margin-top:0">{report.dryRun ? 'GC dry run' : 'GC'}</h2>
      <dl class="facts">
        <dt>Budget</dt>
        <dd>
          {formatBytes(report.budgetBytes)}, newest {report.keepVersions} ready versions per
          template kept
        </dd>
        <dt>Before</dt>
        <dd>
          {report.before.bundles} bundles, {formatBytes(report.before.bytes)}
        </dd>
        <dt>After</dt>
        <dd>
          {report.after.bundles} bundles, {formatBytes(report.after.bytes)}
        </dd>
        <dt>{report.dryRun ? 'Would free' : 'Freed'}</dt>
        <dd>
          {formatBytes(report.freedBytes)} in {report.removed.length} bundle
          {report.removed.length === 1 ? '' : 's'}
        </dd>
        <dt>Protected</dt>
        <dd>{report.protected} bundles</dd>
        {report.overBudget ? (
          <>
            <dt>Over budget</dt>
            <dd>still over budget: everything left is protected</dd>
          </>
        ) : null}
      </dl>
      {report.removed.length > 0 ? (
        <>
          <h2>{report.dryRun ? 'Would remove' : 'Removed'}</h2>
          <Table columns={removedColumns(now)} rows={report.removed} cards />
        </>
      ) : null}
      <h2>Steps</h2>
      <Table columns={stepColumns} rows={report.steps} />
    </section>
  )
}

const corruptColumns: Column<VerifyRepairReport['corrupt'][number]>[] = [
  { head: 'Digest', class: 'nowrap', cell: (b) => <Digest digest={b.digest} /> },
  { head: 'Code', cell: (b) => <code>{b.code}</code> },
  { head: 'Expected', class: 'mono small', cell: (b) => String(b.expected) },
  { head: 'Found', class: 'mono small', cell: (b) => String(b.found) },
]

function VerifyResult({ report }: { report: VerifyRepairReport }) {
  return (
    <section class="card" id="report">
      <h2 style="margin-top:0">Verify</h2>
      <dl class="facts">
        <dt>Re-hashed</dt>
        <dd>
          {report.checked} blobs, {formatBytes(report.bytes)}
        </dd>
        <dt>Corrupt or missing</dt>
        <dd>{report.corrupt.length}</dd>
        <dt>Quarantined</dt>
        <dd>{report.quarantined.length ? report.quarantined.map(shortDigest).join(', ') : '—'}</dd>
        <dt>Refresh queued for</dt>
        <dd>{report.requeued.length ? report.requeued.join(', ') : '—'}</dd>
      </dl>
      {report.corrupt.length > 0 ? (
        <Table columns={corruptColumns} rows={report.corrupt} cards style="margin-top:1rem" />
      ) : null}
      <h2>Steps</h2>
      <Table columns={stepColumns} rows={report.steps} />
    </section>
  )
}

export interface StorePageProps {
  session: AdminSession
  store: StoreView
  now: number
  flash: Flash | null
  result?: StoreReport | null
}

export function StorePage(props: StorePageProps) {
  const { store, session } = props
  return (
    <Layout title="Store" session={session} active="store" flash={props.flash}>
      <h1>Store</h1>
      <section class="card">
        <UsageBar store={store} />
        <p class="small muted">
          GC evicts least recently served bundles until the store fits the budget; the newest{' '}
          {store.keepVersions} ready versions of each template, current and pinned bundles are never
          evicted.
          {store.gcIntervalMs ? ` It also runs every ${duration(store.gcIntervalMs)}.` : null}
        </p>
        <div class="actions">
          <PostButton
            session={session}
            action="/admin/gc"
            label="GC dry run"
            fields={{ dryRun: '1' }}
          />
          <PostButton session={session} action="/admin/gc" label="Run GC" className="danger" />
          <PostButton session={session} action="/admin/verify" label="Verify store" />
        </div>
      </section>
      {props.result?.kind === 'gc' ? (
        <GcResult report={props.result.report} now={props.now} />
      ) : null}
      {props.result?.kind === 'verify' ? <VerifyResult report={props.result.report} /> : null}
    </Layout>
  )
}
