// `asset-cache pin | unpin | refresh`: admin actions against a running server over its admin API
// (`--server`, default ASSET_CACHE_SERVER; `--token`, default ASSET_CACHE_ADMIN_TOKEN). Exit 2
// when no server or token is given (usage), 1 when the server cannot be reached or refuses.
import { request } from 'undici'
import { MAX_JSON_BYTES, readCapped } from '../client/http.js'
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './exit.js'
import { printable } from './format.js'
import { clientEnv } from './pull-report.js'

export interface AdminClientOptions {
  server?: string
  token?: string
}

interface ErrorBody {
  error?: { code?: unknown; message?: unknown }
}

/** A server's value when it is a string (servers send anything). */
export function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}

type CallResult = { ok: true; body: Record<string, unknown> } | { ok: false; exit: number }

/** A credential other than the admin token: may be absent (a server with anonymous reads). */
export interface OtherCredential {
  token: string | undefined
}

/**
 * Calls the API (the admin token unless `credential` says otherwise); prints a failure (code and
 * message, never the token).
 */
export async function call(
  command: string,
  opts: AdminClientOptions,
  method: 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
  credential?: OtherCredential,
): Promise<CallResult> {
  const env = clientEnv()
  const server = opts.server ?? env.server
  const token = credential ? credential.token : (opts.token ?? env.adminToken)
  if (!server || (!token && !credential)) {
    process.stderr.write(
      `asset-cache ${command}: ${!server ? 'no server: pass --server or set ASSET_CACHE_SERVER' : 'no admin token: pass --token or set ASSET_CACHE_ADMIN_TOKEN'}\n`,
    )
    return { ok: false, exit: EXIT_USAGE }
  }
  let url: URL
  try {
    url = new URL(path, server)
  } catch {
    process.stderr.write(
      `asset-cache ${command}: --server: not a URL: ${printable(JSON.stringify(server))}\n`,
    )
    return { ok: false, exit: EXIT_USAGE }
  }
  let res: Awaited<ReturnType<typeof request>>
  try {
    res = await request(url, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    })
  } catch (err) {
    process.stderr.write(
      `asset-cache ${command}: cannot reach ${printable(server)}: ${printable((err as Error).message)}\n`,
    )
    return { ok: false, exit: EXIT_FAILED }
  }
  res.body.on('error', () => undefined) // a body we stop reading must not crash the CLI
  let bytes: Buffer | null
  try {
    bytes = await readCapped(res, MAX_JSON_BYTES)
  } catch (err) {
    process.stderr.write(
      `asset-cache ${command}: ${printable(server)}: ${printable((err as Error).message)}\n`,
    )
    return { ok: false, exit: EXIT_FAILED }
  }
  if (bytes === null) {
    process.stderr.write(
      `asset-cache ${command}: RESPONSE_TOO_LARGE: answer over ${MAX_JSON_BYTES} bytes, not read\n`,
    )
    return { ok: false, exit: EXIT_FAILED }
  }
  let json: unknown = null
  try {
    json = JSON.parse(bytes.toString('utf8'))
  } catch {}
  if (res.statusCode >= 300) {
    const e = (json as ErrorBody | null)?.error
    process.stderr.write(
      `asset-cache ${command}: ${printable(text(e?.code) ?? `HTTP_${res.statusCode}`)}: ${printable(text(e?.message) ?? 'request failed')}\n`,
    )
    return { ok: false, exit: EXIT_FAILED }
  }
  return { ok: true, body: (json ?? {}) as Record<string, unknown> }
}

const enc = encodeURIComponent

export async function pinCommand(
  template: string,
  digest: string,
  opts: AdminClientOptions,
): Promise<number> {
  const r = await call('pin', opts, 'PUT', `/v1/admin/templates/${enc(template)}/pin`, { digest })
  if (!r.ok) return r.exit
  process.stdout.write(`pinned ${printable(template)} to ${printable(digest)}\n`)
  return EXIT_OK
}

export async function unpinCommand(template: string, opts: AdminClientOptions): Promise<number> {
  const r = await call('unpin', opts, 'DELETE', `/v1/admin/templates/${enc(template)}/pin`)
  if (!r.ok) return r.exit
  process.stdout.write(
    `unpinned ${printable(template)}; it serves ${printable(text(r.body.digest) ?? 'nothing yet')}\n`,
  )
  return EXIT_OK
}

export async function refreshCommand(
  template: string,
  opts: AdminClientOptions & { force?: boolean },
): Promise<number> {
  const r = await call('refresh', opts, 'POST', `/v1/admin/templates/${enc(template)}/refresh`, {
    force: opts.force ?? false,
  })
  if (!r.ok) return r.exit
  process.stdout.write(
    `refresh of ${printable(template)} ${r.body.created ? 'queued' : 'already queued'} (job ${printable(String(r.body.jobId))})\n`,
  )
  return EXIT_OK
}
