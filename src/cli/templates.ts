// `asset-cache templates sync [--dry-run] [--allow-empty]`: apply ASSET_CACHE_TEMPLATES to the
// index now, as `serve` does at start-up: the one other way to change which templates are tracked.
import { join } from 'node:path'
import type { Config } from '../config.js'
import { dataDirError } from '../data-dir.js'
import { openIndex, type SyncPlan } from '../db/index.js'
import { AppError } from '../errors.js'
import { table } from './format.js'
import { readIndex } from './read-index.js'

export interface TemplatesSyncOptions {
  dryRun?: boolean
  allowEmpty?: boolean
  json?: boolean
}

const KINDS = ['added', 'restored', 'updated', 'removed', 'kept', 'unchanged'] as const

export function templatesSyncCommand(config: Config, opts: TemplatesSyncOptions): number {
  if (config.templatesFile === null) {
    throw new AppError(
      'CONFIG_INVALID',
      'environment: ASSET_CACHE_TEMPLATES: not set: there is no manifest to apply',
    )
  }
  const options = { allowEmpty: opts.allowEmpty ?? false }
  let plan: SyncPlan
  if (opts.dryRun) {
    const index = readIndex(config)
    try {
      plan = index.templates.plan(config.templates, options)
    } finally {
      index.close()
    }
  } else {
    let index: ReturnType<typeof openIndex>
    try {
      index = openIndex(join(config.dataDir, 'index.db'))
    } catch (err) {
      throw dataDirError(config.dataDir, err)
    }
    try {
      plan = index.templates.sync(config.templates, { ...options, now: Date.now() })
    } finally {
      index.close()
    }
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ dryRun: opts.dryRun ?? false, ...plan }, null, 2)}\n`)
    return 0
  }
  const rows = [['CHANGE', 'TEMPLATE']]
  for (const kind of KINDS) for (const name of plan[kind]) rows.push([kind, name])
  if (rows.length > 1) process.stdout.write(`${table(rows)}\n`)
  if (plan.kept.length > 0) {
    process.stdout.write(
      `the manifest lists no templates: ${plan.kept.length} tracked template(s) kept; --allow-empty removes them\n`,
    )
  }
  const tracked = config.templates.length + (options.allowEmpty ? 0 : plan.kept.length)
  process.stdout.write(
    `${opts.dryRun ? 'dry run, nothing changed: would track' : 'tracking'} ${tracked} template(s) from ${config.templatesFile}\n`,
  )
  return 0
}
