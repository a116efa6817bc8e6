// How a pull is reported on the command line: the options every pull command takes, the
// client's environment, the success summary, the failure line and the exit-code mapping. Shared by
// `pull` from the cache and `pull oci://` from a registry.
import cliProgress from 'cli-progress'
import { loadTrustedKey, type TrustedKey, trustedKeyFiles } from '../attest/keys.js'
import { ClientError } from '../client/errors.js'
import type { PullResult } from '../client/pull.js'
import { AppError } from '../errors.js'
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './exit.js'
import { printable, printableJson } from './format.js'

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
 * The client's defaults from the environment: `ASSET_CACHE_SERVER`, `ASSET_CACHE_TOKEN` (reads),
 * `ASSET_CACHE_ADMIN_TOKEN` (pin, unpin, refresh) and `ASSET_CACHE_TRUSTED_KEYS` (pull --trust). The service reads its environment only in
 * config.ts; the client commands, which load no service configuration, read these here and
 * nowhere else.
 */
export function clientEnv(env: NodeJS.ProcessEnv = process.env): {
  server: string | undefined
  token: string | undefined
  adminToken: string | undefined
  /** As written: trustedKeyFiles() splits it (and refuses one that names no file). */
  trustedKeys: string | undefined
} {
  return {
    server: env.ASSET_CACHE_SERVER || undefined,
    token: env.ASSET_CACHE_TOKEN || undefined,
    adminToken: env.ASSET_CACHE_ADMIN_TOKEN || undefined,
    trustedKeys: env.ASSET_CACHE_TRUSTED_KEYS,
  }
}

/**
 * The trusted keys of `--trust` (when given: those only), else of ASSET_CACHE_TRUSTED_KEYS; null
 * after printing why when one cannot be used (a usage mistake: exit 2).
 */
export function trustedKeys(command: string, files: string[] | undefined): TrustedKey[] | null {
  try {
    const chosen =
      files !== undefined && files.length > 0 ? files : trustedKeyFiles(clientEnv().trustedKeys)
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
