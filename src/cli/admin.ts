// `asset-cache pin | unpin | refresh`: admin actions against a running server over its admin API
// (`--server`, default ASSET_CACHE_SERVER; `--token`, default ASSET_CACHE_ADMIN_TOKEN). Exit 2
// when no server or token is given (usage), 1 when the server cannot be reached or refuses.
import { request } from 'undici'
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './exit.js'
import { clientEnv } from './pull.js'

export interface AdminClientOptions {
  server?: string
  token?: string
}

interface ErrorBody {
  error?: { code?: string; message?: string }
}

type CallResult = { ok: true; body: Record<string, unknown> } | { ok: false; exit: number }

/** Calls the admin API; prints a failure (code and message, never the token). */
async function call(
  command: string,
  opts: AdminClientOptions,
  method: 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<CallResult> {
  const env = clientEnv()
  const server = opts.server ?? env.server
  const token = opts.token ?? env.adminToken
  if (!server || !token) {
    process.stderr.write(
      `asset-cache ${command}: ${!server ? 'no server: pass --server or set ASSET_CACHE_SERVER' : 'no admin token: pass --token or set ASSET_CACHE_ADMIN_TOKEN'}\n`,
    )
    return { ok: false, exit: EXIT_USAGE }
  }
  let url: URL
  try {
    url = new URL(path, server)
  } catch {
    process.stderr.write(`asset-cache ${command}: --server: not a URL: ${JSON.stringify(server)}\n`)
    return { ok: false, exit: EXIT_USAGE }
  }
  let res: Awaited<ReturnType<typeof request>>
  try {
    res = await request(url, {
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
      `asset-cache ${command}: cannot reach ${server}: ${(err as Error).message}\n`,
    )
    return { ok: false, exit: EXIT_FAILED }
  }
  const text = await res.body.text()
  let json: unknown = null
  try {
    json = JSON.parse(text)
  } catch {}
  if (res.statusCode >= 300) {
    const e = (json as ErrorBody | null)?.error
    process.stderr.write(
      `asset-cache ${command}: ${e?.code ?? `HTTP_${res.statusCode}`}: ${e?.message ?? 'request failed'}\n`,
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
  process.stdout.write(`pinned ${template} to ${digest}\n`)
  return EXIT_OK
}

export async function unpinCommand(template: string, opts: AdminClientOptions): Promise<number> {
  const r = await call('unpin', opts, 'DELETE', `/v1/admin/templates/${enc(template)}/pin`)
  if (!r.ok) return r.exit
  process.stdout.write(
    `unpinned ${template}; it serves ${String(r.body.digest ?? 'nothing yet')}\n`,
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
    `refresh of ${template} ${r.body.created ? 'queued' : 'already queued'} (job ${String(r.body.jobId)})\n`,
  )
  return EXIT_OK
}
