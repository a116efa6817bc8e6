// `asset-cache pull oci://host[:port]/repository[:tag|@digest] --into DIR`: the same command
// pulling a template image from an OCI registry (the cache's /v2, or a registry mirroring it).
// Same output and exit codes as `pull`; no --server (the registry is in the target).
import cliProgress from 'cli-progress'
import { pullOci } from '../client/oci.js'
import { clientEnv, failureLine, type PullCommandOptions } from './pull.js'

export const isOciTarget = (target: string): boolean => /^oci(\+http)?:\/\//.test(target)

export async function pullOciCommand(target: string, opts: PullCommandOptions): Promise<number> {
  const token = opts.token ?? clientEnv().token
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar(
        { format: 'pull [{bar}] {percentage}% {value}/{total} bytes', hideCursor: true },
        cliProgress.Presets.shades_classic,
      )
    : null
  let started = false
  try {
    const result = await pullOci(target, {
      into: opts.into,
      token,
      user: opts.user,
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
