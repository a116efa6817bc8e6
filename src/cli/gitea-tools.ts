// The commands that work with Gitea on a template's behalf: `check` (the validator, for template
// authors and their CI) and `hooks sync` (the push webhooks of the tracked repositories).
import type { Command } from 'commander'
import { loadConfig } from '../config.js'
import { checkCommand } from './check.js'
import { hooksSyncCommand } from './hooks.js'

export function registerGiteaTools(program: Command): void {
  program
    .command('check')
    .description(
      'validate a template as the cache would: a git working tree (its HEAD commit) or a .tar/.tar.gz',
    )
    .argument('[target]', 'a git working tree or an archive', '.')
    .option('-t, --template <name>', "check against this manifest template's allow/require rules")
    .option('--json', 'machine-readable output')
    .action(async (target: string, opts: { template?: string; json?: boolean }) => {
      process.exitCode = await checkCommand(loadConfig(), target, opts)
    })

  program
    .command('hooks')
    .description("the push webhooks of the tracked repositories, through Gitea's API")
    .command('sync')
    .description(
      'create or update the push webhook of every repository the manifest tracks (GITEA_HOOKS_TOKEN)',
    )
    .option('--dry-run', 'print what would change; change nothing')
    .option('--reset-secret', 'send ASSET_CACHE_WEBHOOK_SECRET to every hook (after rotating it)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { dryRun?: boolean; resetSecret?: boolean; json?: boolean }) => {
      process.exitCode = await hooksSyncCommand(loadConfig(), opts)
    })
}
