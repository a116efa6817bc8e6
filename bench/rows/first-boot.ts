// first-boot: a workspace's first boot after a push. Through the cache: pull (resolve, download,
// verify the digest, materialize) from the client module. Directly: the archive from a Gitea-like
// origin that takes 2 s to generate it (delayed headers), gunzipped and the allowed files written.
import { mkdirSync, mkdtempSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'
import picomatch from 'picomatch'
import { extract } from 'tar-stream'
import { request } from 'undici'
import { DEFAULT_ALLOW } from '../../src/config.js'
import { pull } from '../../src/index.js'
import { fault, push, sendWebhook } from '../../test/support/gitea/index.js'
import type { BenchContext } from '../lib/context.js'
import { GITEA_TOKEN, READ_TOKEN, WEBHOOK_SECRET } from '../lib/context.js'
import { readyAt } from '../lib/http.js'
import type { Row, RowSpec } from '../lib/report.js'
import { median, pairedRuns, round } from '../lib/stats.js'

export const firstBoot: RowSpec = {
  id: 'first-boot',
  title: 'first boot after a push: via the cache vs archive from a 2 s origin',
  unit: 'ms',
  referenceLabel: 'direct from origin',
  target: '≥ 20× faster',
}

const allowed = picomatch(DEFAULT_ALLOW, { dot: true })

/** What provisioners did before the cache: fetch the archive, keep the allowlisted files. */
async function directBoot(giteaUrl: string, repo: string, commit: string, into: string) {
  const res = await request(`${giteaUrl}/api/v1/repos/${repo}/archive/${commit}.tar.gz`, {
    headers: { authorization: `token ${GITEA_TOKEN}` },
    headersTimeout: 30_000,
  })
  if (res.statusCode !== 200) throw new Error(`archive: ${res.statusCode}`)
  const tar = extract()
  let files = 0
  tar.on('entry', (header, stream, next) => {
    const path = header.name.split('/').slice(1).join('/')
    if (header.type !== 'file' || !allowed(path)) {
      stream.on('end', next).resume()
      return
    }
    const chunks: Buffer[] = []
    stream.on('data', (c) => chunks.push(c as Buffer))
    stream.on('end', () => {
      const target = join(into, path)
      mkdirSync(dirname(target), { recursive: true })
      files++
      writeFile(target, Buffer.concat(chunks), { mode: header.mode ?? 0o644 }).then(
        () => next(),
        next,
      )
    })
  })
  await pipeline(res.body as Readable, createGunzip(), tar)
  return files
}

export async function firstBootRow(ctx: BenchContext): Promise<Row> {
  const { server, repos } = await ctx.main()
  const gitea = await ctx.gitea()
  const repo = repos.boot
  const { sizes } = ctx
  const payload = await push(repo, { 'prompts/p0.md': '# prompt 0, revised\n' })
  await sendWebhook(`${server.url}/hooks/gitea`, { secret: WEBHOOK_SECRET, event: 'push', payload })
  const view = await readyAt(server.url, 'boot', READ_TOKEN, payload.after)

  let directFiles = 0
  let cacheFiles = 0
  const { ours: cache, reference: direct } = await pairedRuns(sizes.bootRuns, async () => {
    const ws = mkdtempSync(join(ctx.dir, 'ws-cache-'))
    let started = performance.now()
    const pulled = await pull(server.url, 'boot', { into: ws, token: READ_TOKEN })
    const cacheMs = performance.now() - started
    if (pulled.status !== 'pulled') throw new Error(`pull: ${pulled.status}`)
    cacheFiles = pulled.files.length

    gitea.faults.inject('archive', fault.delay(sizes.bootDelayMs), {
      times: 1,
      repo: repo.fullName,
    })
    const wsDirect = mkdtempSync(join(ctx.dir, 'ws-direct-'))
    started = performance.now()
    directFiles = await directBoot(gitea.url, repo.fullName, payload.after, wsDirect)
    return { ours: cacheMs, reference: performance.now() - started }
  })
  const ours = round(median(cache), 2)
  const reference = round(median(direct), 1)
  const ratio = round(reference / ours, 1)
  return {
    ...firstBoot,
    title: `first boot after a push: via the cache vs archive from a ${sizes.bootDelayMs / 1000} s origin`,
    ours,
    reference,
    ratio,
    status: ratio >= 20 && cacheFiles === directFiles ? 'pass' : 'fail',
    note: `ratio = direct / cache; ${cacheFiles} files, bundle ${view.size} B`,
    detail: { cacheRuns: cache, directRuns: direct, cacheFiles, directFiles },
  }
}
