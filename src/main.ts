// CLI entry: `asset-cache <command>`. Each command loads the configuration once, opens what it
// needs, and maps failures to a message and an exit code (2 = configuration, 1 = anything else).

import { join } from 'node:path'
import { Command } from 'commander'
import { pinCommand, refreshCommand, unpinCommand } from './cli/admin.js'
import { gcCommand } from './cli/gc.js'
import { ingestCommand } from './cli/ingest.js'
import { lsCommand } from './cli/ls.js'
import { pullCommand } from './cli/pull.js'
import { verifyCommand } from './cli/verify.js'
import { loadConfig } from './config.js'
import { migrate, openDb } from './db/index.js'
import { AppError } from './errors.js'
import { createLogger } from './log.js'
import { openRuntime, type Runtime } from './runtime.js'
import { startServer } from './server.js'
import { parseSize } from './units.js'

async function withRuntime(fn: (rt: Runtime) => number | Promise<number>): Promise<void> {
  const rt = await openRuntime(loadConfig())
  try {
    process.exitCode = await fn(rt)
  } finally {
    rt.close()
  }
}

const program = new Command()
  .name('asset-cache')
  .description('Validated, content-addressed cache of Gitea workspace-template assets')
  .showHelpAfterError()

program
  .command('serve')
  .description('run the service: HTTP API, webhook receiver, refresh workers and reconciler')
  .action(async () => {
    const config = loadConfig()
    const logger = createLogger(config.logLevel)
    const server = await startServer(config, { logger })
    const stop = (signal: string) => {
      logger.info({ signal }, 'signal received')
      void server.close().finally(() => {
        logger.flush()
        process.exitCode = 0
      })
    }
    process.once('SIGTERM', () => stop('SIGTERM'))
    process.once('SIGINT', () => stop('SIGINT'))
  })

program
  .command('migrate')
  .description('create or upgrade the SQLite index in ASSET_CACHE_DATA_DIR')
  .action(() => {
    const config = loadConfig()
    const db = openDb(join(config.dataDir, 'index.db'))
    try {
      const r = migrate(db)
      process.stdout.write(
        r.applied.length
          ? `applied ${r.applied.join(', ')} (schema ${r.from} → ${r.to})\n`
          : `up to date (schema ${r.to})\n`,
      )
    } finally {
      db.close()
    }
  })

program
  .command('ingest')
  .description(
    'validate a template archive (tar.gz as Gitea serves it) and store its canonical bundle',
  )
  .argument('<file>', 'path to the .tar.gz archive')
  .requiredOption('-t, --template <name>', 'template the archive belongs to')
  .option('-c, --commit <sha>', 'commit id the archive must carry (pax global comment)')
  .action((file: string, opts: { template: string; commit?: string }) =>
    withRuntime((rt) => ingestCommand(rt, file, opts)),
  )

program
  .command('ls')
  .description("list templates and their current versions, or one template's version history")
  .argument('[template]', 'show the versions of this template')
  .option('--json', 'machine-readable output')
  .action((template: string | undefined, opts: { json?: boolean }) =>
    withRuntime((rt) => lsCommand(rt, template, opts)),
  )

program
  .command('pull')
  .description('write the current bundle of a template (or a bundle by digest) into a directory')
  .argument(
    '<target>',
    'template name, a bundle digest sha256:<hex>, or an image oci://host[:port]/repository[:tag]',
  )
  .requiredOption('--into <dir>', 'directory to write the files into')
  .option('--server <url>', 'asset-cache server (default: ASSET_CACHE_SERVER)')
  .option('--token <token>', 'read token (default: ASSET_CACHE_TOKEN)')
  .option(
    '--user <name>',
    'user name sent with the token to an oci:// registry (default: asset-cache)',
  )
  .action(
    async (
      target: string,
      opts: { into: string; server?: string; token?: string; user?: string },
    ) => {
      process.exitCode = await pullCommand(target, opts)
    },
  )

program
  .command('verify')
  .description('re-hash every stored bundle; exits non-zero when one is corrupt or missing')
  .option('--quarantine', 'move corrupt blobs aside so they are never served')
  .option('--json', 'machine-readable output')
  .action((opts: { quarantine?: boolean; json?: boolean }) =>
    withRuntime((rt) => verifyCommand(rt, opts)),
  )

program
  .command('gc')
  .description(
    'evict least-recently-served bundles until the store is under ASSET_CACHE_STORE_BUDGET; ' +
      'current, pinned and the newest ASSET_CACHE_KEEP_VERSIONS versions are always kept',
  )
  .option('--dry-run', 'report what would be removed; remove nothing')
  .option(
    '--budget <size>',
    'byte budget for this run, e.g. 512MiB (default: ASSET_CACHE_STORE_BUDGET)',
  )
  .option('--json', 'machine-readable output')
  .action((opts: { dryRun?: boolean; budget?: string; json?: boolean }) => {
    let budget: number | undefined
    if (opts.budget !== undefined) {
      const parsed = parseSize(opts.budget)
      if (parsed === null) {
        throw new AppError(
          'CONFIG_INVALID',
          `--budget: expected a size like 512MiB, got "${opts.budget}"`,
        )
      }
      budget = parsed
    }
    return withRuntime((rt) =>
      gcCommand(rt, {
        ...(opts.dryRun ? { dryRun: true } : {}),
        ...(budget !== undefined ? { budget } : {}),
        ...(opts.json ? { json: true } : {}),
      }),
    )
  })

const adminOptions = (cmd: Command) =>
  cmd
    .option('--server <url>', 'asset-cache server (default: ASSET_CACHE_SERVER)')
    .option('--token <token>', 'admin token (default: ASSET_CACHE_ADMIN_TOKEN)')

adminOptions(
  program
    .command('pin')
    .description('pin a template to one of its ready bundles on a running server')
    .argument('<template>', 'template name')
    .argument('<digest>', 'bundle digest sha256:<hex> (a ready version of that template)'),
).action(async (template: string, digest: string, opts: { server?: string; token?: string }) => {
  process.exitCode = await pinCommand(template, digest, opts)
})

adminOptions(
  program
    .command('unpin')
    .description('unpin a template on a running server: it serves its current version again')
    .argument('<template>', 'template name'),
).action(async (template: string, opts: { server?: string; token?: string }) => {
  process.exitCode = await unpinCommand(template, opts)
})

adminOptions(
  program
    .command('refresh')
    .description("queue a refresh of a template's branch head on a running server")
    .argument('<template>', 'template name')
    .option('--force', 're-fetch even when the head already has a version'),
).action(async (template: string, opts: { server?: string; token?: string; force?: boolean }) => {
  process.exitCode = await refreshCommand(template, opts)
})

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof AppError) {
    process.stderr.write(
      `asset-cache: ${err.code === 'CONFIG_INVALID' ? 'invalid configuration' : err.code}\n${err.message}\n`,
    )
    process.exitCode = err.code === 'CONFIG_INVALID' ? 2 : 1
    return
  }
  process.stderr.write(`asset-cache: ${(err as Error).stack ?? String(err)}\n`)
  process.exitCode = 1
})
