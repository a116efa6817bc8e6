// Requests to the fake Gitea for the suites that check it on the wire: a new connection for each,
// the whole body read, headers and body bounded by one timeout.
import type { IncomingHttpHeaders } from 'node:http'
import { request } from 'undici'
import type { GitRepo } from './gitea/index.js'

export interface Fetched {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

export interface WireOptions {
  method?: 'GET' | 'HEAD'
  headers?: Record<string, string>
  /** Headers and body timeout; default 10 s. */
  timeoutMs?: number
}

export async function fetchWire(url: string, options: WireOptions = {}): Promise<Fetched> {
  const timeoutMs = options.timeoutMs ?? 10_000
  const response = await request(url, {
    method: options.method ?? 'GET',
    headers: options.headers ?? {},
    reset: true,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  })
  const body = Buffer.from(await response.body.arrayBuffer())
  return { status: response.statusCode, headers: response.headers as IncomingHttpHeaders, body }
}

/** Gitea's archive route for `ref` of `repo`, as a .tar.gz. */
export const archivePath = (repo: GitRepo, ref: string) =>
  `/api/v1/repos/${repo.owner}/${repo.name}/archive/${ref}.tar.gz`
