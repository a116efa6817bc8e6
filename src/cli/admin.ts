// `asset-cache pin | unpin | refresh`: admin actions against a running server over its admin API
// (`--server`, default ASSET_CACHE_SERVER; `--token`, default ASSET_CACHE_ADMIN_TOKEN).
import { request } from 'undici'
import { MAX_JSON_BYTES, readCapped } from '../client/http.js'
import { printable } from './format.js'
import { clientEnv } from './pull.js'

export interface AdminClientOptions {
  server?: string
  token?: string
}

interface ErrorBody {
  error?: { code?: unknown; message?: unknown }
}

/** A server's value when it is a string (servers send anything). */
function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}

/** Calls the admin API; prints the failure (code and message, never the token) and returns null. */
async function call(
  command: string,
  opts: AdminClientOptions,
  method: 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<Record<string, unknown> | null> {
  const env = clientEnv()
  const server = opts.server ?? env.server
  const token = opts.token ?? env.adminToken
  if (!server || !token) {
    process.stderr.write(
      `asset-cache ${command}: ${!server ? 'no server: pass --server or set ASSET_CACHE_SERVER' : 'no admin token: pass --token or set ASSET_CACHE_ADMIN_TOKEN'}\n`,
    )
    return null
  }
  let res: Awaited<ReturnType<typeof request>>
  try {
    res = await request(new URL(path, server), {
      method,
      headers: {
        authorization: `Bearer ${token}`,
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
    return null
  }
  res.body.on('error', () => undefined) // a body we stop reading must not crash the CLI
  let bytes: Buffer | null
  try {
    bytes = await readCapped(res, MAX_JSON_BYTES)
  } catch (err) {
    process.stderr.write(
      `asset-cache ${command}: ${printable(server)}: ${printable((err as Error).message)}\n`,
    )
    return null
  }
  if (bytes === null) {
    process.stderr.write(
      `asset-cache ${command}: RESPONSE_TOO_LARGE: answer over ${MAX_JSON_BYTES} bytes, not read\n`,
    )
    return null
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
    return null
  }
  return (json ?? {}) as Record<string, unknown>
}

const enc = encodeURIComponent

export async function pinCommand(
  template: string,
  digest: string,
  opts: AdminClientOptions,
): Promise<number> {
  const r = await call('pin', opts, 'PUT', `/v1/admin/templates/${enc(template)}/pin`, { digest })
  if (!r) return 1
  process.stdout.write(`pinned ${printable(template)} to ${printable(digest)}\n`)
  return 0
}

export async function unpinCommand(template: string, opts: AdminClientOptions): Promise<number> {
  const r = await call('unpin', opts, 'DELETE', `/v1/admin/templates/${enc(template)}/pin`)
  if (!r) return 1
  process.stdout.write(
    `unpinned ${printable(template)}; it serves ${printable(text(r.digest) ?? 'nothing yet')}\n`,
  )
  return 0
}

export async function refreshCommand(
  template: string,
  opts: AdminClientOptions & { force?: boolean },
): Promise<number> {
  const r = await call('refresh', opts, 'POST', `/v1/admin/templates/${enc(template)}/refresh`, {
    force: opts.force ?? false,
  })
  if (!r) return 1
  process.stdout.write(
    `refresh of ${printable(template)} ${r.created ? 'queued' : 'already queued'} (job ${printable(String(r.jobId))})\n`,
  )
  return 0
}
