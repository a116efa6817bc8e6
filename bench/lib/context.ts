// What every row shares: the mode's sizes, a scratch dir, one fake Gitea with real repos, the main
// asset-cache server and the nginx reference — each started lazily, once, and stopped at the end.
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  createRepo,
  type FakeGitea,
  type GitRepo,
  type RepoFiles,
  startFakeGitea,
} from '../../test/support/gitea/index.js'
import { getBytes, readyAt, type TemplateView } from './http.js'
import { type Nginx, startNginx } from './nginx.js'
import { type AssetCacheChild, startAssetCache } from './server.js'
import type { Tools } from './tools.js'

export const GITEA_TOKEN = 'bench-gitea-token'
export const READ_TOKEN = 'bench-read-token'
export const WEBHOOK_SECRET = 'bench-hook-secret'
export const AUTH = { authorization: `Bearer ${READ_TOKEN}` }

const KiB = 1024
const MiB = 1024 * KiB

export interface Sizes {
  /** wrk: seconds per measured round, warm-up seconds, rounds per side. */
  wrkSeconds: number
  wrkWarmSeconds: number
  wrkRounds: number
  resolveRate: number
  resolveMs: number
  resolveWarmMs: number
  /** Rounds per side, interleaved; the row reports the median round. */
  resolveRounds: number
  /** Random bytes under prompts/ in the ingest archive (default wire limit is 16 MiB). */
  ingestBytes: number
  ingestRuns: number
  ackConcurrency: number
  ackRounds: number
  burstPushes: number
  rssIngestBytes: number
  rssLoadSeconds: number
  indexVersions: number
  indexBaseVersions: number
  indexRounds: number
  indexMs: number
  bootDelayMs: number
  bootRuns: number
  stormBoots: number
  stormConcurrency: number
  stormRounds: number
}

export const FULL: Sizes = {
  wrkSeconds: 5,
  wrkWarmSeconds: 2,
  wrkRounds: 2,
  resolveRate: 1000,
  resolveMs: 10_000,
  resolveWarmMs: 2_000,
  resolveRounds: 3,
  ingestBytes: 15.5 * MiB,
  ingestRuns: 3,
  ackConcurrency: 200,
  ackRounds: 3,
  burstPushes: 1000,
  rssIngestBytes: 15.5 * MiB,
  rssLoadSeconds: 15,
  indexVersions: 100_000,
  indexBaseVersions: 100,
  indexRounds: 3,
  indexMs: 4_000,
  bootDelayMs: 2_000,
  bootRuns: 3,
  stormBoots: 2_000,
  stormConcurrency: 32,
  stormRounds: 2,
}

export const SMOKE: Sizes = {
  wrkSeconds: 1,
  wrkWarmSeconds: 0,
  wrkRounds: 1,
  resolveRate: 200,
  resolveMs: 1_000,
  resolveWarmMs: 200,
  resolveRounds: 1,
  ingestBytes: 256 * KiB,
  ingestRuns: 1,
  ackConcurrency: 20,
  ackRounds: 1,
  burstPushes: 20,
  rssIngestBytes: 256 * KiB,
  rssLoadSeconds: 2,
  indexVersions: 1_000,
  indexBaseVersions: 100,
  indexRounds: 1,
  indexMs: 1_000,
  bootDelayMs: 500,
  bootRuns: 1,
  stormBoots: 60,
  stormConcurrency: 8,
  stormRounds: 1,
}

/** Canonical tar of config.yaml (≤ 512 B) + one file of n bytes: 512 + 512 + 512 + n + 1024. */
const tarPayload = (bundleBytes: number) => bundleBytes - 2560

export interface TemplateRef {
  name: string
  repo: Pick<GitRepo, 'fullName'>
}

export interface MainSetup {
  server: AssetCacheChild
  repos: Record<'small' | 'hot' | 'ingest' | 'ack' | 'burst' | 'boot', GitRepo>
  views: Record<'small' | 'hot', TemplateView>
}

export interface ReferenceFiles {
  nginx: Nginx
  /** URL path → what ours serves there. */
  paths: { hot: string; small: string; resolve: string }
}

function bootFiles(): RepoFiles {
  const files: RepoFiles = {
    'config.yaml': 'name: boot\nmodel: small\ntools: [search, fetch]\n',
    'agent-skills/search/run.sh': { content: '#!/bin/sh\necho search\n', mode: 0o755 },
    'agent-skills/search/SKILL.md': `# search\n${'Find things. '.repeat(200)}\n`,
    Dockerfile: 'FROM node:20\nCOPY . /app\n',
    'README.md': `# boot template\n${'Docs. '.repeat(2000)}\n`,
    'src/adapter.ts': `export const x = 1\n${'// code\n'.repeat(3000)}`,
  }
  for (let i = 0; i < 12; i++)
    files[`prompts/p${i}.md`] = `# prompt ${i}\n${'Be precise. '.repeat(400)}\n`
  return files
}

export class BenchContext {
  readonly sizes: Sizes
  readonly smoke: boolean
  readonly tools: Tools
  readonly dir: string
  readonly profileDir: string | undefined
  #gitea: Promise<FakeGitea> | null = null
  #main: Promise<MainSetup> | null = null
  #reference: Promise<ReferenceFiles> | null = null
  readonly #cleanups: (() => Promise<unknown>)[] = []

  constructor(options: { smoke: boolean; tools: Tools; profileDir?: string | undefined }) {
    this.smoke = options.smoke
    this.sizes = options.smoke ? SMOKE : FULL
    this.tools = options.tools
    this.profileDir = options.profileDir
    this.dir = mkdtempSync(join(tmpdir(), 'asset-cache-bench-'))
  }

  /** Registers something to stop at the end (last registered, first stopped). */
  defer(fn: () => Promise<unknown>): void {
    this.#cleanups.push(fn)
  }

  async close(): Promise<void> {
    for (const fn of this.#cleanups.splice(0).reverse()) await fn().catch(() => undefined)
    if (process.env.BENCH_KEEP) process.stderr.write(`kept ${this.dir}\n`)
    else rmSync(this.dir, { recursive: true, force: true })
  }

  gitea(): Promise<FakeGitea> {
    this.#gitea ??= startFakeGitea({ tokens: [GITEA_TOKEN] }).then((gitea) => {
      this.defer(() => gitea.stop())
      return gitea
    })
    return this.#gitea
  }

  async repo(name: string, files: RepoFiles): Promise<GitRepo> {
    const gitea = await this.gitea()
    const parentDir = join(this.dir, 'repos')
    mkdirSync(parentDir, { recursive: true })
    return gitea.addRepo(await createRepo({ owner: 'bench', name, files, parentDir }))
  }

  /** An asset-cache child tracking `templates` through the fake Gitea (or with fetching off). */
  async server(
    name: string,
    templates: TemplateRef[],
    options: { fetching?: boolean; dataDir?: string; env?: Record<string, string> } = {},
  ): Promise<AssetCacheChild> {
    const gitea = options.fetching === false ? null : await this.gitea()
    const manifest = join(this.dir, `${name}.templates.json`)
    writeFileSync(
      manifest,
      JSON.stringify({
        workspace_templates: templates.map((t) => ({
          name: t.name,
          repo: t.repo.fullName,
          ref: 'main',
        })),
      }),
    )
    const server = await startAssetCache({
      name,
      workDir: this.dir,
      profileDir: this.profileDir,
      env: {
        ASSET_CACHE_DATA_DIR: options.dataDir ?? join(this.dir, `${name}-data`),
        ASSET_CACHE_TEMPLATES: manifest,
        ASSET_CACHE_READ_TOKENS: READ_TOKEN,
        ASSET_CACHE_WEBHOOK_SECRET: WEBHOOK_SECRET,
        ...(gitea ? { GITEA_BASE_URL: gitea.url, GITEA_TOKEN: GITEA_TOKEN } : {}),
        ...options.env,
      },
    })
    this.defer(() => server.stop())
    return server
  }

  /** The server most rows share, with every template ready at its first commit. */
  main(): Promise<MainSetup> {
    this.#main ??= (async () => {
      const repos = {
        small: await this.repo('small', {
          'config.yaml': 'name: small\n',
          'prompts/a.md': `${'x'.repeat(1535)}\n`,
        }),
        hot: await this.repo('hot', {
          'config.yaml': 'name: hot\n',
          'prompts/data.bin': randomBytes(tarPayload(256 * KiB)),
        }),
        ingest: await this.repo('ingest', { 'config.yaml': 'name: ingest\n' }),
        ack: await this.repo('ack', { 'config.yaml': 'name: ack\n' }),
        burst: await this.repo('burst', { 'config.yaml': 'name: burst\n' }),
        boot: await this.repo('boot', bootFiles()),
      }
      const server = await this.server(
        'main',
        Object.entries(repos).map(([name, repo]) => ({ name, repo })),
      )
      for (const name of Object.keys(repos)) await readyAt(server.url, name, READ_TOKEN)
      const views = {
        small: await readyAt(server.url, 'small', READ_TOKEN),
        hot: await readyAt(server.url, 'hot', READ_TOKEN),
      }
      return { server, repos, views }
    })()
    return this.#main
  }

  /** nginx serving the same bytes ours serves for the hot and small bundles and the resolve JSON. */
  reference(): Promise<ReferenceFiles> {
    const nginxBinary = this.tools.nginx
    if (!nginxBinary) return Promise.reject(new Error('nginx is not installed'))
    this.#reference ??= (async () => {
      const { server, views } = await this.main()
      const bundle = async (digest: string) => ({
        path: `/v1/bundles/${digest}`,
        body: await getBytes(`${server.url}/v1/bundles/${digest}`, READ_TOKEN),
        contentType: 'application/x-tar',
        headers: {
          'Cache-Control': 'public, max-age=31536000, immutable',
          'Repr-Digest': `sha-256=:${Buffer.from(digest.slice(7), 'hex').toString('base64')}:`,
          Vary: 'Accept-Encoding',
          'X-Request-Id': '00000000-0000-4000-8000-000000000000',
        },
      })
      const hot = await bundle(views.hot.digest)
      const small = await bundle(views.small.digest)
      const resolve = {
        path: '/v1/templates/small',
        body: await getBytes(`${server.url}/v1/templates/small`, READ_TOKEN),
        contentType: 'application/json',
        headers: {
          'Cache-Control': 'no-cache',
          'X-Request-Id': '00000000-0000-4000-8000-000000000000',
        },
      }
      const nginx = await startNginx(nginxBinary, join(this.dir, 'nginx'), [hot, small, resolve])
      this.defer(() => nginx.stop())
      return { nginx, paths: { hot: hot.path, small: small.path, resolve: resolve.path } }
    })()
    return this.#reference
  }
}
