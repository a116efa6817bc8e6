// The archive queue of Gitea ≤ 1.24, Forgejo, and 1.25 with `[repository] STREAM_ARCHIVES=false`
// (services/repository/archiver): the request waits while a queue worker writes the archive to
// storage (the handler polls the database about once a second, with no timeout of its own), then
// the stored file is served with http.ServeContent: Content-Length, Accept-Ranges and Range.
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { spawnGit } from '../git.js'
import { objectExists } from './commits.js'
import type { RouteContext } from './context.js'
import { bodyShape, streamBody } from './respond.js'

/** How long a request is held while its archive is "generating", unless the mode says otherwise. */
export const DEFAULT_GENERATE_WAIT_MS = 1_200

/** `bytes=a-b`, `bytes=a-` or `bytes=-n` against `size`; null for no (or an ignored) Range. */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | null {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? '')
  if (!match || (match[1] === '' && match[2] === '')) return null
  if (match[1] === '') {
    const suffix = Number(match[2])
    if (suffix === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(match[1])
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1)
  if (start >= size || end < start) return 'unsatisfiable'
  return { start, end }
}

/** Runs `git archive` to completion, as the queue worker does; null when git fails. */
async function generate(ctx: RouteContext, args: string[]): Promise<Buffer | null> {
  const child = spawnGit(ctx.served.repo.dir, args)
  child.stderr.resume()
  const chunks: Buffer[] = []
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk))
  const [code] = (await once(child, 'close')) as [number | null]
  return code === 0 ? Buffer.concat(chunks) : null
}

/**
 * Serves one archive request in `generate` or `legacy-unknown-sha` mode. A commit the repository
 * lacks is never generated: in `legacy-unknown-sha` the request then waits forever (the job stays
 * "generating"), in `generate` it fails like the streaming path, 500.
 */
export async function serveGenerated(
  ctx: RouteContext,
  commit: string,
  args: string[],
  headers: Record<string, string>,
  internalError: () => void,
): Promise<void> {
  const mode = ctx.archiveMode
  if (mode.kind !== 'generate' && mode.kind !== 'legacy-unknown-sha') return
  const started = Date.now()
  if (!(await objectExists(ctx.served.repo.dir, commit))) {
    if (mode.kind === 'legacy-unknown-sha') {
      ctx.counters.archivesHung++
      return
    }
    return internalError()
  }
  const archive = await generate(ctx, args)
  const wait = (mode.waitMs ?? DEFAULT_GENERATE_WAIT_MS) - (Date.now() - started)
  if (wait > 0) await sleep(wait, undefined, { signal: ctx.signal }).catch(() => undefined)
  if (ctx.res.destroyed || ctx.signal.aborted) return
  if (archive === null) return internalError()
  ctx.counters.archiveDownloads++
  const range = parseRange(ctx.req.headers.range, archive.length)
  if (range === 'unsatisfiable') {
    ctx.res.writeHead(416, { 'Content-Range': `bytes */${archive.length}` })
    ctx.res.end()
    return
  }
  const body = range ? archive.subarray(range.start, range.end + 1) : archive
  ctx.res.writeHead(range ? 206 : 200, {
    ...headers,
    'Accept-Ranges': 'bytes',
    'Content-Length': String(body.length),
    ...(range ? { 'Content-Range': `bytes ${range.start}-${range.end}/${archive.length}` } : {}),
  })
  if (range) ctx.counters.rangeRequests++
  await streamBody(ctx.res, [body], bodyShape(ctx.fault), ctx.signal, (count) => {
    ctx.counters.archiveBytes += count
    ctx.onBytes(count)
  })
}
