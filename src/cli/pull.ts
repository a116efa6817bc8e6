// `asset-cache pull <template|digest> --into DIR`: the provisioner client on the command line.
// Prints one line on success, one line on stderr and exit 1 on any failure.
import cliProgress from 'cli-progress'
import { ClientError } from '../client/errors.js'
import { pull } from '../client/pull.js'
import { AppError } from '../errors.js'
import { isOciTarget, pullOciCommand } from './pull-oci.js'

export interface PullCommandOptions {
  into: string
  server?: string
  token?: string
  /** User name sent with the token to an `oci://` registry. */
  user?: string
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
} {
  return {
    server: env.ASSET_CACHE_SERVER || undefined,
    token: env.ASSET_CACHE_TOKEN || undefined,
    adminToken: env.ASSET_CACHE_ADMIN_TOKEN || undefined,
  }
}

/** One line for any failure: the message and, for our errors, the stable code. */
export function failureLine(err: unknown): string {
  if (err instanceof ClientError || err instanceof AppError) {
    const entry = (err.context as { entry?: unknown }).entry
    const where = typeof entry === 'string' ? ` ${JSON.stringify(entry)}` : ''
    return `${err.code}: ${err.message}${where}`
  }
  return err instanceof Error ? err.message : String(err)
}

export async function pullCommand(target: string, opts: PullCommandOptions): Promise<number> {
  if (isOciTarget(target)) return pullOciCommand(target, opts)
  const env = clientEnv()
  const server = opts.server ?? env.server
  const token = opts.token ?? env.token
  if (!server) {
    process.stderr.write('asset-cache pull: no server: pass --server or set ASSET_CACHE_SERVER\n')
    return 2
  }
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar(
        { format: 'pull [{bar}] {percentage}% {value}/{total} bytes', hideCursor: true },
        cliProgress.Presets.shades_classic,
      )
    : null
  let started = false
  try {
    const result = await pull(server, target, {
      into: opts.into,
      token,
      onProgress: bar
        ? (received, total) => {
            if (!started) bar.start(total ?? 0, 0)
            started = true
            bar.update(received)
          }
        : undefined,
    })
    if (started) bar?.stop()
    process.stdout.write(
      result.status === 'unchanged'
        ? `unchanged ${result.digest}\n`
        : `pulled ${result.digest} (${result.files.length} files) into ${opts.into}\n`,
    )
    return 0
  } catch (err) {
    if (started) bar?.stop()
    process.stderr.write(`asset-cache pull: ${failureLine(err).replace(/\s*\n\s*/g, ' ')}\n`)
    return 1
  }
}
