// `asset-cache url TEMPLATE|DIGEST [--ttl D]`: mints a signed bundle URL on a running server
// (POST /v1/urls) and prints it: a URL that reads that bundle with no token until it expires.
// The token is `--token`, else ASSET_CACHE_TOKEN (a read token: minting stays within its scope),
// else ASSET_CACHE_ADMIN_TOKEN; none for a server that allows anonymous reads. Exit 0 printed,
// 1 the server refused or could not be reached, 2 a bad argument or no server.
import { MAX_URL_TTL_SECONDS } from '../signed-url.js'
import { parseDuration } from '../units.js'
import { type AdminClientOptions, call, text } from './admin.js'
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './exit.js'
import { printable } from './format.js'
import { clientEnv } from './pull-report.js'

const DIGEST = /^sha256:[0-9a-f]{64}$/

export async function urlCommand(
  target: string,
  opts: AdminClientOptions & { ttl?: string },
): Promise<number> {
  const ttlText = opts.ttl ?? '10m'
  const ms = parseDuration(ttlText)
  if (ms === null || ms < 1000 || ms > MAX_URL_TTL_SECONDS * 1000 || ms % 1000 !== 0) {
    process.stderr.write(
      `asset-cache url: INVALID_ARGUMENT: --ttl: expected a duration from 1s to 24h like 10m, got ${printable(JSON.stringify(ttlText))}\n`,
    )
    return EXIT_USAGE
  }
  const env = clientEnv()
  const body = {
    ...(DIGEST.test(target) ? { digest: target } : { template: target }),
    ttl: ms / 1000,
  }
  const token = opts.token ?? env.token ?? env.adminToken
  const r = await call('url', opts, 'POST', '/v1/urls', body, { token })
  if (!r.ok) return r.exit
  const url = text(r.body.url)
  if (url === undefined) {
    process.stderr.write('asset-cache url: the server answered without a url\n')
    return EXIT_FAILED
  }
  process.stdout.write(`${printable(url)}\n`)
  return EXIT_OK
}
