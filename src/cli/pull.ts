// `asset-cache pull <template|digest> --into DIR`: the provisioner client on the command line.
// Prints one line on success (exit 0), or one line on stderr: exit 2 for a usage or configuration
// mistake (no server, a bad flag value, a malformed target), exit 1 when the pull itself failed
// (the server, integrity, a refused bundle, the deadline).
import cliProgress from 'cli-progress'
import { loadTrustedKey, type TrustedKey, trustedKeyFiles } from '../attest/keys.js'
import { ClientError } from '../client/errors.js'
import { endpoint } from '../client/http.js'
import { type PullResult, pull } from '../client/pull.js'
import { AppError } from '../errors.js'
import { parseDuration } from '../units.js'
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './exit.js'
import { printable, printableJson } from './format.js'

const MAX_TIMEOUT_MS = 24 * 86_400_000

import { isOciTarget, pullOciCommand } from './pull-oci.js'

export interface PullCommandOptions {
  into: string
  server?: string
  token?: string
  /** A duration (`30s`, `5m`); default 5m. */
  timeout?: string
  repair?: boolean
  /** User name sent with the token to an `oci://` registry. */
  user?: string
  /** Public key files whose attestations are trusted (`--trust`, repeatable). */
  trust?: string[]
}

/**
 * The client's defaults from the environment: `ASSET_CACHE_SERVER`, `ASSET_CACHE_TOKEN` (reads)
 * and `ASSET_CACHE_ADMIN_TOKEN` (pin, unpin, refresh). The service reads its environment only in
 * config.ts; the client commands, which load no service configuration, read these here and
 * nowhere else.
 */
export function clientEnv(env: NodeJS.ProcessEnv = process.env): {
  server: string | undefined
  token: string | undefined
  adminToken: string | undefined
  trustedKeys: string[]
} {
  return {
    server: env.ASSET_CACHE_SERVER || undefined,
    token: env.ASSET_CACHE_TOKEN || undefined,
    adminToken: env.ASSET_CACHE_ADMIN_TOKEN || undefined,
    trustedKeys: trustedKeyFiles(env.ASSET_CACHE_TRUSTED_KEYS),
  }
}

/**
 * The trusted keys of `--trust` (when given: those only), else of ASSET_CACHE_TRUSTED_KEYS; null
 * after printing why when one cannot be used (a usage mistake: exit 2).
 */
export function trustedKeys(command: string, files: string[] | undefined): TrustedKey[] | null {
  const chosen = files !== undefined && files.length > 0 ? files : clientEnv().trustedKeys
  try {
    return chosen.map((file) => loadTrustedKey(file))
  } catch (err) {
    process.stderr.write(`asset-cache ${command}: ${failureLine(err)}\n`)
    return null
  }
}

/** The success line: what DIR holds now, and what changed in it. */
function summary(result: PullResult, into: string): string {
  if (result.status === 'unchanged') return `unchanged ${result.digest}`
  const { digest, files, written, removed, kept } = result
  const head =
    result.status === 'repaired'
      ? `repaired ${digest}: restored ${written.length} of ${files.length} files in ${into}`
      : `pulled ${digest} (${files.length} files) into ${into}`
  const plural = (n: number) => `${n} file${n === 1 ? '' : 's'}`
  return (
    head +
    (removed.length > 0 ? `; removed ${plural(removed.length)} the previous version wrote` : '') +
    (kept.length > 0 ? `; kept ${plural(kept.length)} changed locally` : '')
  )
}

/**
 * One printable line for any failure: the message and, for our errors, the stable code and the
 * entry path (quoted, unprintable characters escaped). Messages quote servers and archives, so
 * all of it goes through `printable`.
 */
export function failureLine(err: unknown): string {
  if (err instanceof ClientError || err instanceof AppError) {
    const entry = (err.context as { entry?: unknown }).entry
    const where = typeof entry === 'string' ? ` ${printable(printableJson(entry))}` : ''
    return `${printable(err.code)}: ${printable(err.message)}${where}`
  }
  return printable(err instanceof Error ? err.message : String(err))
}

/** Exit codes: one table for pull (and the README's for every command). */
/** Client codes that name a mistake in the command line or configuration, not a failed pull. */
const USAGE_CODES = new Set<string>(['INVALID_TARGET', 'INVALID_OPTION', 'INVALID_SERVER_URL'])

export async function pullCommand(target: string, opts: PullCommandOptions): Promise<number> {
  const trust = trustedKeys('pull', opts.trust)
  if (trust === null) return EXIT_USAGE
  if (isOciTarget(target)) {
    if (trust.length > 0) {
      process.stderr.write(
        'asset-cache pull: INVALID_OPTION: --trust (or ASSET_CACHE_TRUSTED_KEYS) verifies attestations from an asset-cache server; an oci:// pull cannot be verified\n',
      )
      return EXIT_USAGE
    }
    return pullOciCommand(target, opts)
  }
  const env = clientEnv()
  const server = opts.server ?? env.server
  const token = opts.token ?? env.token
  if (!server) {
    process.stderr.write('asset-cache pull: no server: pass --server or set ASSET_CACHE_SERVER\n')
    return EXIT_USAGE
  }
  try {
    endpoint(server, '/')
  } catch (err) {
    process.stderr.write(`asset-cache pull: ${failureLine(err)}\n`)
    return EXIT_USAGE
  }
  const timeoutMs = parseDuration(opts.timeout ?? '5m')
  if (timeoutMs === null || timeoutMs <= 0 || timeoutMs > MAX_TIMEOUT_MS) {
    process.stderr.write(
      `asset-cache pull: --timeout: expected a duration like 30s or 5m (at most 24d), got ${printableJson(opts.timeout ?? '')}\n`,
    )
    return EXIT_USAGE
  }
  return reported(opts.into, (onProgress) =>
    pull(server, target, {
      into: opts.into,
      token,
      timeoutMs,
      repair: opts.repair ?? false,
      trust,
      onProgress,
    }),
  )
}

type OnProgress = ((received: number, total: number | undefined) => void) | undefined

/**
 * Runs one pull (from the cache or an OCI registry) with a progress bar on a terminal, prints its
 * summary or its failure, and returns the exit code.
 */
export async function reported(
  into: string,
  run: (onProgress: OnProgress) => Promise<PullResult>,
): Promise<number> {
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar(
        { format: 'pull [{bar}] {percentage}% {value}/{total} bytes', hideCursor: true },
        cliProgress.Presets.shades_classic,
      )
    : null
  let started = false
  const onProgress: OnProgress = bar
    ? (received, total) => {
        if (!started) bar.start(total ?? 0, 0)
        started = true
        bar.update(received)
      }
    : undefined
  try {
    const result = await run(onProgress)
    if (started) bar?.stop()
    process.stdout.write(`${summary(result, into)}\n`)
    return EXIT_OK
  } catch (err) {
    if (started) bar?.stop()
    process.stderr.write(`asset-cache pull: ${failureLine(err)}\n`)
    const usage = err instanceof ClientError && USAGE_CODES.has(err.code)
    return usage ? EXIT_USAGE : EXIT_FAILED
  }
}
