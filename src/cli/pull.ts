// `asset-cache pull <template|digest> --into DIR`: the provisioner client on the command line.
// Prints one line on success (exit 0), or one line on stderr: exit 2 for a usage or configuration
// mistake (no server, a bad flag value, a malformed target), exit 1 when the pull itself failed
// (the server, integrity, a refused bundle, the deadline).
import { endpoint } from '../client/http.js'
import { pull } from '../client/pull.js'
import { parseDuration } from '../units.js'
import { EXIT_USAGE } from './exit.js'
import { printableJson } from './format.js'
import { isOciTarget, pullOciCommand } from './pull-oci.js'
import {
  clientEnv,
  failureLine,
  type PullCommandOptions,
  reported,
  trustedKeys,
} from './pull-report.js'

const MAX_TIMEOUT_MS = 24 * 86_400_000

export type { PullCommandOptions } from './pull-report.js'

/** --timeout in milliseconds, or null after printing why it does not parse. */
function timeoutOf(opts: PullCommandOptions): number | null {
  const timeoutMs = parseDuration(opts.timeout ?? '5m')
  if (timeoutMs === null || timeoutMs <= 0 || timeoutMs > MAX_TIMEOUT_MS) {
    process.stderr.write(
      `asset-cache pull: --timeout: expected a duration like 30s or 5m (at most 24d), got ${printableJson(opts.timeout ?? '')}\n`,
    )
    return null
  }
  return timeoutMs
}

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
    const timeoutMs = timeoutOf(opts)
    return timeoutMs === null ? EXIT_USAGE : pullOciCommand(target, opts, timeoutMs)
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
  const timeoutMs = timeoutOf(opts)
  if (timeoutMs === null) return EXIT_USAGE
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
