// CLI entry: `asset-cache <command>`. Each command loads the configuration once, opens what it
// needs, and maps failures to a message and an exit code: 0 ok, 1 the operation failed, 2 usage
// or configuration (cli/exit.ts; README "Exit codes").

import { Command, CommanderError } from 'commander'
import { pinCommand, refreshCommand, unpinCommand } from './cli/admin.js'
import { addAttestationCommands } from './cli/attestation-program.js'
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, exitCodeOf } from './cli/exit.js'
import { forgetCommand } from './cli/forget.js'
import { printable } from './cli/format.js'
import { gcCommand } from './cli/gc.js'
import { registerGiteaTools } from './cli/gitea-tools.js'
import { ingestCommand, openArchive } from './cli/ingest.js'
import { lsCommand } from './cli/ls.js'
import { migrateCommand } from './cli/migrate.js'
import { type PullCommandOptions, pullCommand } from './cli/pull.js'
import { withReadIndex } from './cli/read-index.js'
import { serveHelp } from './cli/serve-help.js'
import { templatesSyncCommand } from './cli/templates.js'
import { urlCommand } from './cli/url.js'
import { verifyCommand } from './cli/verify.js'
import { loadConfig } from './config.js'
import { AppError } from './errors.js'
import { startServer } from './http/server.js'
import { createLogger } from './log.js'
import { openRuntime, type Runtime } from './runtime.js'
import { parseSize } from './units.js'
import { VERSION } from './version.js'

async function withRuntime(
  fn: (rt: Runtime) => number | Promise<number>,
  config = loadConfig(),
): Promise<void> {
  const rt = await openRuntime(config)
  try {
    process.exitCode = await fn(rt)
  } finally {
    rt.close()
  }
}

// exitOverride before any command is added: subcommands inherit it, so a usage error anywhere
// reaches the handler at the end (exit 2) instead of commander's process.exit(1).
const program = new Command()
  .name('asset-cache')
  .description('Validated, content-addressed cache of Gitea workspace-template assets')
  .version(VERSION)
  .showHelpAfterError()
  .exitOverride()

program
  .command('serve')
  .description('run the service: HTTP API, webhook receiver, refresh workers and reconciler')
  .addHelpText('after', serveHelp())
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
    process.exitCode = migrateCommand(loadConfig())
  })

program
  .command('ingest')
  .description(
    'validate a template archive (tar.gz as Gitea serves it) and store its canonical bundle',
  )
  .argument('<file>', 'path to the .tar.gz archive')
  .requiredOption('-t, --template <name>', 'a template the manifest tracks')
  .option('-c, --commit <sha>', 'commit id the archive must carry (pax global comment)')
  .option(
    '--untracked',
    'allow a template the manifest does not track (kept by hand; never counted against readiness)',
  )
  .action(
    async (file: string, opts: { template: string; commit?: string; untracked?: boolean }) => {
      const config = loadConfig()
      const archive = await openArchive(file)
      try {
        await withRuntime((rt) => ingestCommand(rt, archive, opts), config)
      } finally {
        await archive.close()
      }
    },
  )

program
  .command('forget')
  .description(
    'delete an untracked template (ingested by hand, or removed from the manifest) with its versions and jobs',
  )
  .argument('<template>', 'template name')
  .action((template: string) => withRuntime((rt) => forgetCommand(rt, template)))

program
  .command('ls')
  .description("list templates and their current versions, or one template's version history")
  .argument('[template]', 'show the versions of this template')
  .option('--json', 'machine-readable output')
  .action(async (template: string | undefined, opts: { json?: boolean }) => {
    process.exitCode = await withReadIndex(loadConfig(), (deps) => lsCommand(deps, template, opts))
  })

program
  .command('templates')
  .description('the templates the index tracks')
  .command('sync')
  .description(
    'apply ASSET_CACHE_TEMPLATES now, as serve does at start-up: add, update and remove tracked templates',
  )
  .option('--dry-run', 'print what would change; change nothing')
  .option('--allow-empty', 'let a manifest with no templates remove every tracked template')
  .option('--json', 'machine-readable output')
  .action((opts: { dryRun?: boolean; allowEmpty?: boolean; json?: boolean }) => {
    process.exitCode = templatesSyncCommand(loadConfig(), opts)
  })

registerGiteaTools(program)

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
  .option('--timeout <duration>', 'give up after this long, e.g. 30s, 5m', '5m')
  .option(
    '--repair',
    're-hash the files pull wrote and restore any changed or deleted, even when nothing is new',
  )
  .option(
    '--user <name>',
    'user name sent with the token to an oci:// registry (default: asset-cache)',
  )
  .option(
    '--trust <key.pub>',
    'write only a bundle attested by this ed25519 public key (repeatable; default: ASSET_CACHE_TRUSTED_KEYS)',
    (file: string, files: string[]) => [...files, file],
    [] as string[],
  )
  // A command-line mistake (no --into, an unknown flag, no target) is a usage error: exit 2, as
  // every other usage or configuration mistake of pull; --help stays 0.
  .exitOverride((err) => process.exit(err.exitCode === 0 ? EXIT_OK : EXIT_USAGE))
  .action(async (target: string, opts: PullCommandOptions) => {
    process.exitCode = await pullCommand(target, opts)
  })

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
          'INVALID_ARGUMENT',
          `--budget: expected a size like 512MiB, got ${JSON.stringify(opts.budget)}`,
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

addAttestationCommands(program, withRuntime)

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

program
  .command('url')
  .description('mint a short-lived URL that reads one bundle without a token, and print it')
  .argument(
    '<target>',
    'template name (its current or pinned bundle) or bundle digest sha256:<hex>',
  )
  .option('--ttl <duration>', 'how long the URL lives, at most 24h', '10m')
  .option('--server <url>', 'asset-cache server (default: ASSET_CACHE_SERVER)')
  .option(
    '--token <token>',
    'read or admin token (default: ASSET_CACHE_TOKEN, else ASSET_CACHE_ADMIN_TOKEN)',
  )
  .action(async (target: string, opts: { server?: string; token?: string; ttl?: string }) => {
    process.exitCode = await urlCommand(target, opts)
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

/** A failure's text, line by line through `printable` (messages may quote archives). */
const lines = (text: string) =>
  text
    .split('\n')
    .map((line) => printable(line))
    .join('\n')

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) {
    // Commander has printed the message (or the help) already.
    process.exitCode =
      err.code === 'commander.helpDisplayed' || err.code === 'commander.version'
        ? EXIT_OK
        : EXIT_USAGE
    return
  }
  if (err instanceof AppError) {
    process.stderr.write(
      err.code === 'CONFIG_INVALID'
        ? `asset-cache: invalid configuration\n${lines(err.message)}\n`
        : `asset-cache: ${err.code}: ${lines(err.message)}\n`,
    )
    process.exitCode = exitCodeOf(err)
    return
  }
  process.stderr.write(`asset-cache: ${lines((err as Error).stack ?? String(err))}\n`)
  process.exitCode = EXIT_FAILED
})
