// GET|HEAD /api/v1/repos/{owner}/{repo}/archive/{ref}.tar.gz, streamed like Gitea ≥ 1.25, generated
// first like the archive queue (generate.ts), or redirected to object storage.
import { once } from 'node:events'
import { spawnGit } from '../git.js'
import { objectExists, readCommit, resolveCommit } from './commits.js'
import type { RouteContext } from './context.js'
import { serveGenerated } from './generate.js'
import { goPathEscape } from './go-json.js'
import { bodyShape, notFoundBody, sendJson, streamBody } from './respond.js'
import { repoApiUrl } from './shapes.js'

const FORMATS = ['tar.gz', 'zip'] as const
type Format = (typeof FORMATS)[number]

/**
 * Headers of services/repository/archiver ServeRepoArchive on the streaming path:
 * httplib.ServeSetHeaders with only a file name (octet-stream, nosniff, attachment,
 * private 5-minute cache) and the nix `Link: rel="immutable"` header. No Content-Length.
 */
function archiveHeaders(
  ctx: RouteContext,
  ref: string,
  commit: string,
  format: Format,
): Record<string, string> {
  const { repo } = ctx.served
  const fileName = `${repo.name}-${ref.replaceAll('/', '-')}.${format}`
  const quoted = fileName.replaceAll('\\', '\\\\').replaceAll('"', '\\"')
  return {
    'Content-Type': 'application/octet-stream',
    'X-Content-Type-Options': 'nosniff',
    'Content-Disposition': `attachment; filename="${quoted}"; filename*=UTF-8''${goPathEscape(fileName)}`,
    'Access-Control-Expose-Headers': 'Content-Disposition',
    'Cache-Control': 'private, max-age=300, no-transform',
    Link: `<${repoApiUrl(repo)}/archive/${commit}.${format}?rev=${commit}>; rel="immutable"`,
  }
}

/** Gitea answers a failed stream that wrote nothing with ctx.HTTPError(500): plain text. */
function internalError(ctx: RouteContext): void {
  const body = 'Internal Server Error\n'
  ctx.res.writeHead(500, {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
  })
  ctx.res.end(ctx.req.method === 'HEAD' ? undefined : body)
  if (ctx.req.method !== 'HEAD') ctx.onBytes(Buffer.byteLength(body))
}

/**
 * Like archiver.NewRequest + git ConvertToGitID: a full-length hex id is trusted without a
 * lookup (an unknown one then fails inside `git archive`, hence a 500, not a 404); any other
 * ref (branch, tag, short id) must resolve or the answer is 404.
 */
async function resolveArchiveRef(ctx: RouteContext, ref: string): Promise<string | null> {
  const { repo } = ctx.served
  const full = repo.objectFormat === 'sha256' ? /^[0-9a-f]{64}$/ : /^[0-9a-f]{40}$/
  if (full.test(ref)) return ref
  if (ref.startsWith('-')) return null
  return resolveCommit(repo.dir, ref)
}

/**
 * Object storage with SERVE_DIRECT: the archive is generated whole (doArchive saves it to
 * storage), then the answer is a redirect to a presigned URL that carries its own signature. The
 * answer also sets Gitea's session cookie, so a client that kept cookies would be caught
 * forwarding one.
 */
async function redirectToStorage(
  ctx: RouteContext,
  commit: string,
  format: Format,
  headers: Record<string, string>,
): Promise<void> {
  if (ctx.archiveMode.kind !== 'redirect') return
  const { repo } = ctx.served
  const child = spawnGit(repo.dir, ['archive', ...prefixArgs(ctx), `--format=${format}`, commit])
  child.stderr.resume()
  const chunks: Buffer[] = []
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk))
  const [code] = (await once(child, 'close')) as [number | null]
  if (code !== 0) return internalError(ctx)
  ctx.counters.archiveDownloads++
  const fileName = /filename="([^"]*)"/.exec(headers['Content-Disposition']!)?.[1] ?? 'archive'
  const location = ctx.archiveMode.storage.put(
    `${repo.owner.toLowerCase()}/${repo.name.toLowerCase()}/${commit}.${format}`,
    Buffer.concat(chunks),
    fileName,
  )
  const body = `<a href="${location.replaceAll('&', '&amp;')}">See Other</a>.\n\n`
  ctx.res.writeHead(ctx.archiveMode.status, {
    Location: location,
    Link: headers.Link!,
    'Set-Cookie': 'i_like_gitea=0123456789abcdef; Path=/; HttpOnly; SameSite=Lax',
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
  })
  ctx.res.end(ctx.req.method === 'HEAD' ? undefined : body)
}

/** CreateArchive: `--prefix=<base name of the repository's path>/` unless PREFIX_ARCHIVE_FILES=false. */
const prefixArgs = (ctx: RouteContext): string[] =>
  ctx.prefixArchiveFiles ? [`--prefix=${ctx.served.repo.name.toLowerCase()}/`] : []

export async function serveArchive(ctx: RouteContext, file: string): Promise<void> {
  const { repo } = ctx.served
  ctx.counters.archiveRequests++
  const format = FORMATS.find((candidate) => file.endsWith(`.${candidate}`))
  const json = (status: number, body: unknown) =>
    sendJson(ctx.res, status, body, {
      shape: bodyShape(ctx.fault),
      signal: ctx.signal,
      onBytes: ctx.onBytes,
    })
  if (!format) {
    await json(400, { message: `unknown format: ${file}`, url: `${ctx.baseUrl}/api/swagger` })
    return
  }
  const ref = file.slice(0, -(format.length + 1))
  const requested = await resolveArchiveRef(ctx, ref)
  if (requested === null) {
    ctx.counters.notFound++
    await json(404, notFoundBody(ctx.baseUrl, [`unrecognized repository reference: ${ref}`]))
    return
  }
  let served = requested
  if (ctx.fault?.kind === 'wrongCommit') {
    const parent = (await objectExists(repo.dir, requested))
      ? (await readCommit(repo.dir, requested)).parents[0]
      : undefined
    served = ctx.fault.commit ?? parent ?? requested
  }
  const headers = archiveHeaders(ctx, ref, requested, format)

  if (ctx.req.method === 'HEAD') {
    if (!(await objectExists(repo.dir, served))) return internalError(ctx)
    ctx.res.writeHead(200, headers)
    ctx.res.end()
    return
  }

  if (ctx.archiveMode.kind === 'redirect') return redirectToStorage(ctx, served, format, headers)
  if (ctx.archiveMode.kind === 'generate' || ctx.archiveMode.kind === 'legacy-unknown-sha') {
    const args = ['archive', ...prefixArgs(ctx), `--format=${format}`, served]
    return serveGenerated(ctx, served, args, headers, () => internalError(ctx))
  }

  // Gitea runs: git archive --prefix=<lower-cased repo name>/ --format=<format> <commit id>
  const child = spawnGit(repo.dir, ['archive', ...prefixArgs(ctx), `--format=${format}`, served])
  child.stderr.resume()
  const closed = once(child, 'close') as Promise<[number | null]>
  ctx.res.once('close', () => child.kill())
  try {
    const chunks = child.stdout[Symbol.asyncIterator]()
    const first = await chunks.next()
    if (first.done) {
      const [code] = await closed
      if (code !== 0) return internalError(ctx)
    }
    ctx.counters.archiveDownloads++
    ctx.res.writeHead(200, headers)
    async function* body(): AsyncGenerator<Uint8Array> {
      if (!first.done) yield first.value as Uint8Array
      for (let next = await chunks.next(); !next.done; next = await chunks.next())
        yield next.value as Uint8Array
    }
    await streamBody(ctx.res, body(), bodyShape(ctx.fault), ctx.signal, (count) => {
      ctx.counters.archiveBytes += count
      ctx.onBytes(count)
    })
  } finally {
    child.kill()
  }
}
