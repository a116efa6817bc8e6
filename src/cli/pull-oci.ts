// `asset-cache pull oci://host[:port]/repository[:tag|@digest] --into DIR`: the same command
// pulling a template image from an OCI registry (the cache's /v2, or a registry mirroring it).
// Same output, exit codes and --timeout as `pull`; no --server (the registry is in the target).
import { pullOci } from '../client/oci.js'
import { clientEnv, type PullCommandOptions, reported } from './pull-report.js'

export const isOciTarget = (target: string): boolean => /^oci(\+http)?:\/\//.test(target)

export async function pullOciCommand(
  target: string,
  opts: PullCommandOptions,
  timeoutMs: number,
): Promise<number> {
  const token = opts.token ?? clientEnv().token
  return reported(opts.into, (onProgress) =>
    pullOci(target, { into: opts.into, token, user: opts.user, timeoutMs, onProgress }),
  )
}
