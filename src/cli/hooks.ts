// `asset-cache hooks sync [--dry-run] [--reset-secret] [--json]`: creates or updates the push
// webhook of every repository the manifest tracks, through Gitea's API with GITEA_HOOKS_TOKEN:
// type gitea, JSON, push events, the tracked refs as branch filter, ASSET_CACHE_WEBHOOK_SECRET,
// <ASSET_CACHE_PUBLIC_URL>/hooks/gitea, active. A second run changes nothing and says so.
import type { Config } from '../config.js'
import { AppError } from '../errors.js'
import { HooksApi, HooksApiError } from '../gitea/hooks-api.js'
import { desiredHook, hookUrl, planRepo } from '../gitea/hooks-plan.js'
import { EXIT_FAILED, EXIT_OK } from './exit.js'
import { printable, table } from './format.js'

export interface HooksSyncOptions {
  dryRun?: boolean
  resetSecret?: boolean
  json?: boolean
}

export type HookOutcome = 'created' | 'updated' | 'unchanged' | 'refused' | 'failed'

export interface HookReport {
  repo: string
  outcome: HookOutcome
  hookId: number | null
  /** Fields an update changed (or would change). */
  changes: string[]
  /** The URL an updated hook pointed at before, when it was another. */
  oldUrl: string | null
  /** Other hooks of ours on the repository, left alone. */
  duplicates: number[]
  error: string | null
}

/** Repositories the manifest tracks (case-insensitively one), each with its tracked refs. */
function trackedRepos(config: Config): Map<string, { repo: string; refs: string[] }> {
  const repos = new Map<string, { repo: string; refs: string[] }>()
  for (const t of config.templates) {
    const key = t.repo.toLowerCase()
    const entry = repos.get(key) ?? { repo: t.repo, refs: [] }
    entry.refs.push(t.ref)
    repos.set(key, entry)
  }
  return repos
}

function requireSettings(config: Config) {
  const missing = [
    !config.giteaBaseUrl && 'GITEA_BASE_URL',
    !config.hooksToken && 'GITEA_HOOKS_TOKEN',
    !config.publicUrl && 'ASSET_CACHE_PUBLIC_URL',
    !config.webhookSecret && 'ASSET_CACHE_WEBHOOK_SECRET',
    config.templatesFile === null && 'ASSET_CACHE_TEMPLATES',
  ].filter((name): name is string => typeof name === 'string')
  if (missing.length > 0) {
    throw new AppError(
      'CONFIG_INVALID',
      missing.map((name) => `environment: ${name}: not set (hooks sync needs it)`).join('\n'),
    )
  }
  return {
    baseUrl: config.giteaBaseUrl!,
    token: config.hooksToken!,
    publicUrl: config.publicUrl!,
    secret: config.webhookSecret!.reveal(),
  }
}

/** What Gitea's refusal means for an operator. */
function advice(err: HooksApiError): string {
  if (err.status === 403) return `${err.message} (GITEA_HOOKS_TOKEN needs admin rights on it)`
  if (err.status === 404) return `${err.message} (no such repository, or the token cannot see it)`
  if (err.status === 401) return `${err.message} (GITEA_HOOKS_TOKEN rejected)`
  return err.message
}

export async function syncHooks(config: Config, opts: HooksSyncOptions): Promise<HookReport[]> {
  const settings = requireSettings(config)
  const api = new HooksApi(settings.baseUrl, settings.token)
  const reports: HookReport[] = []
  try {
    for (const { repo, refs } of trackedRepos(config).values()) {
      const report: HookReport = {
        repo,
        outcome: 'unchanged',
        hookId: null,
        changes: [],
        oldUrl: null,
        duplicates: [],
        error: null,
      }
      reports.push(report)
      try {
        const want = desiredHook(settings.publicUrl, settings.secret, refs)
        const { plan, duplicates } = planRepo(
          await api.list(repo),
          want,
          settings.publicUrl,
          opts.resetSecret ?? false,
        )
        report.duplicates = duplicates
        if (plan.action === 'unchanged') {
          report.hookId = plan.id
        } else if (plan.action === 'create') {
          report.outcome = 'created'
          if (!opts.dryRun) report.hookId = (await api.create(repo, plan.body)).id
        } else {
          Object.assign(report, {
            outcome: 'updated',
            hookId: plan.id,
            changes: plan.changes,
            oldUrl: plan.oldUrl,
          })
          if (!opts.dryRun) await api.edit(repo, plan.id, plan.body)
        }
      } catch (err) {
        if (!(err instanceof HooksApiError)) throw err
        report.outcome = err.status === 401 || err.status === 403 ? 'refused' : 'failed'
        report.error = advice(err)
      }
    }
  } finally {
    await api.close()
  }
  return reports
}

function line(r: HookReport, dryRun: boolean): string[] {
  const verb = dryRun && (r.outcome === 'created' || r.outcome === 'updated')
  const outcome = verb ? `would be ${r.outcome}` : r.outcome
  let detail = r.hookId === null ? '' : `hook ${r.hookId}`
  if (r.changes.length > 0) detail += `${detail ? ': ' : ''}${r.changes.join(', ')}`
  if (r.oldUrl !== null) detail += ` (was ${printable(r.oldUrl, 200)})`
  if (r.duplicates.length > 0) detail += `; also ours, left alone: ${r.duplicates.join(', ')}`
  if (r.error !== null) detail = printable(r.error, 300)
  return [r.repo, outcome, detail]
}

export async function hooksSyncCommand(config: Config, opts: HooksSyncOptions): Promise<number> {
  const reports = await syncHooks(config, opts)
  const failed = reports.filter((r) => r.outcome === 'refused' || r.outcome === 'failed')
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({ dryRun: opts.dryRun ?? false, url: hookUrl(config.publicUrl!), repositories: reports }, null, 2)}\n`,
    )
  } else {
    if (reports.length > 0) {
      process.stdout.write(
        `${table([['REPOSITORY', 'HOOK', 'DETAIL'], ...reports.map((r) => line(r, opts.dryRun ?? false))])}\n`,
      )
    }
    const count = (o: HookOutcome) => reports.filter((r) => r.outcome === o).length
    const changed = count('created') + count('updated')
    process.stdout.write(
      changed === 0 && failed.length === 0
        ? `nothing to change: ${reports.length} repositor${reports.length === 1 ? 'y has' : 'ies have'} the hook to ${hookUrl(config.publicUrl!)}\n`
        : `${opts.dryRun ? 'would create' : 'created'} ${count('created')}, ${opts.dryRun ? 'would update' : 'updated'} ${count('updated')}, unchanged ${count('unchanged')}, refused ${count('refused')}, failed ${count('failed')}\n`,
    )
  }
  return failed.length > 0 ? EXIT_FAILED : EXIT_OK
}
