// Shared harness for the crash, origin, disk and soak suites: `asset-cache serve` as a real child
// process with the suites' env config, index snapshots read from the SQLite file, the blob files
// on disk, a seeded random source, and the figures written to test-artifacts/reliability.
import { randomBytes } from 'node:crypto'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openIndex } from '../../src/db/index.js'
import { ROOT } from '../support/cli.js'
import { createRepo, type FakeGitea, type GitRepo, startFakeGitea } from '../support/gitea/index.js'
import { writeTemplates } from '../support/runtime.js'
import {
  killServerProcesses,
  type ServerProcess,
  startServerProcess,
} from '../support/server-process.js'

export { ROOT }
export const ARTIFACTS = join(ROOT, 'test-artifacts', 'reliability')
export const GITEA_TOKEN = 'gitea-token'
export const WEBHOOK_SECRET = 'rel-webhook-secret'
export const READ_TOKEN = 'rel-read-token'
export const ADMIN_TOKEN = randomBytes(32).toString('hex')

/** A seeded PRNG, so a failing run can be replayed with its seed. */
export { mulberry32 as seeded } from './fuzz-mutators.js'

/** Pseudo-random (incompressible) bytes from a seeded source. */
export function noise(random: () => number, size: number): Uint8Array {
  const out = new Uint8Array(size)
  for (let i = 0; i < size; i += 4) {
    const v = Math.floor(random() * 4294967296)
    out[i] = v & 0xff
    out[i + 1] = (v >>> 8) & 0xff
    out[i + 2] = (v >>> 16) & 0xff
    out[i + 3] = (v >>> 24) & 0xff
  }
  return out
}

export interface ServeOptions {
  dataDir: string
  templatesFile: string
  giteaUrl: string
  /** Extra or overriding environment variables. */
  env?: Record<string, string>
  /** Modules preloaded with `--import` after tsx (fault injectors). */
  preload?: string[]
  /** Keep the last `keepLines` log lines for diagnosis (default 200). */
  keepLines?: number
}

export type Served = ServerProcess

export function serveEnv(options: ServeOptions): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    ASSET_CACHE_DATA_DIR: options.dataDir,
    ASSET_CACHE_TEMPLATES: options.templatesFile,
    ASSET_CACHE_PORT: '0',
    ASSET_CACHE_RECONCILE_INTERVAL: '1h',
    ASSET_CACHE_GC_INTERVAL: 'off',
    GITEA_BASE_URL: options.giteaUrl,
    GITEA_TOKEN,
    ASSET_CACHE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    ASSET_CACHE_READ_TOKENS: READ_TOKEN,
    ASSET_CACHE_ADMIN_TOKEN: ADMIN_TOKEN,
    ASSET_CACHE_LOG_LEVEL: 'info',
    ...options.env,
  }
}

/** Starts `asset-cache serve` with the suites' configuration; resolves once it listens. */
export function startServe(options: ServeOptions): Promise<Served> {
  return startServerProcess({
    env: serveEnv(options),
    ...(options.preload ? { preload: options.preload } : {}),
    ...(options.keepLines ? { keepLines: options.keepLines } : {}),
  })
}

export interface VersionFact {
  template: string
  commit: string | null
  status: string
  digest: string | null
}

export interface IndexSnapshot {
  jobs: {
    id: number
    template: string
    state: string
    attempts: number
    trigger: string
    lastErrorCode: string | null
  }[]
  versions: VersionFact[]
  /** Template → commit of its current version. */
  current: Record<string, string | null>
  /** Template → digest of its current version. */
  currentDigest: Record<string, string | null>
  bundles: string[]
}

/** Reads the index file (the child may be running: WAL lets both read). */
export function snapshot(dataDir: string, templates: string[]): IndexSnapshot {
  const index = openIndex(join(dataDir, 'index.db'))
  try {
    const current: Record<string, string | null> = {}
    const currentDigest: Record<string, string | null> = {}
    for (const name of templates) {
      const t = index.templates.get(name)
      const v = t?.currentVersionId ? index.versions.get(t.currentVersionId) : null
      current[name] = v?.commit ?? null
      currentDigest[name] = v?.digest ?? null
    }
    return {
      jobs: index.jobs.list({ limit: 100_000 }).map((j) => ({
        id: j.id,
        template: j.template,
        state: j.state,
        attempts: j.attempts,
        trigger: j.trigger,
        lastErrorCode: j.lastErrorCode,
      })),
      versions: templates.flatMap((name) =>
        index.versions.list(name, 100_000).map((v) => ({
          template: name,
          commit: v.commit,
          status: v.status,
          digest: v.digest,
        })),
      ),
      current,
      currentDigest,
      bundles: index.bundles.all().map((b) => b.digest),
    }
  } finally {
    index.close()
  }
}

/** Digests of the blob files under blobs/sha256/ab/cd/<hex>. */
export function blobDigests(dataDir: string): string[] {
  const root = join(dataDir, 'blobs', 'sha256')
  const out: string[] = []
  if (!existsSync(root)) return out
  for (const a of readdirSync(root)) {
    for (const b of readdirSync(join(root, a))) {
      for (const hex of readdirSync(join(root, a, b))) out.push(`sha256:${hex}`)
    }
  }
  return out.sort()
}

export function blobPathOf(dataDir: string, digest: string): string {
  const hex = digest.slice('sha256:'.length)
  return join(dataDir, 'blobs', 'sha256', hex.slice(0, 2), hex.slice(2, 4), hex)
}

/** Entries of DATA_DIR/tmp: store temp files (`<pid>.<token>.<rand>`) and validator spools. */
export function tmpEntries(dataDir: string): { temps: string[]; spools: string[] } {
  const dir = join(dataDir, 'tmp')
  const names = existsSync(dir) ? readdirSync(dir) : []
  return {
    temps: names.filter((n) => /^\d+\.[0-9a-f]{12}\.[0-9a-f]{16}$/.test(n)),
    spools: names.filter((n) => n.endsWith('.spool')),
  }
}

export function fileSize(path: string): number {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}

export async function writeArtifact(name: string, data: unknown): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true })
  const path = join(ARTIFACTS, name)
  await writeFile(path, `${JSON.stringify(data, null, 2)}\n`)
  return path
}

/** `n` template repos `acme/<prefix><i>` served by `gitea`, each with a config.yaml and a prompt. */
export async function makeRepos(gitea: FakeGitea, n: number, prefix = 't'): Promise<GitRepo[]> {
  const repos: GitRepo[] = []
  for (let i = 0; i < n; i++) {
    repos.push(
      gitea.addRepo(
        await createRepo({
          owner: 'acme',
          name: `${prefix}${i}`,
          files: {
            'config.yaml': `name: ${prefix}${i}\n`,
            'prompts/system.md': `Template ${i}.\n`,
            Dockerfile: 'FROM scratch\n',
          },
        }),
      ),
    )
  }
  return repos
}

/** Each repository's branch head, by template name (template name = repo name). */
export async function branchHeads(repos: readonly GitRepo[]): Promise<Record<string, string>> {
  return Object.fromEntries(await Promise.all(repos.map(async (r) => [r.name, await r.head()])))
}

/** Whether the index serves every template of `want` at that commit. */
export function servesHeads(s: IndexSnapshot, want: Record<string, string>): boolean {
  return Object.keys(want).every((name) => s.current[name] === want[name])
}

/** Writes the templates manifest for `repos` (template name = repo name). */
export async function writeManifest(dir: string, repos: GitRepo[]): Promise<string> {
  return writeTemplates(
    join(dir, 'templates.json'),
    repos.map((r) => ({ name: r.name, repo: r.fullName })),
  )
}

/** A temp dir with a data dir (not created) and a manifest of every template of the origin. */
export interface Workspace {
  work: string
  dataDir: string
  templatesFile: string
}

/** The fake Gitea a suite runs against, its template repositories and the suite's temp dirs. */
export interface RelOrigin {
  gitea: FakeGitea
  repos: GitRepo[]
  /** The templates' names (= the repositories' names). */
  names: string[]
  /** A new temp dir, removed by stop(). */
  tempDir(label: string): Promise<string>
  /** A new workspace in a temp dir removed by stop(). */
  workspace(label: string): Promise<Workspace>
  /** The suites' environment for a server over `ws` and this Gitea. */
  env(ws: Workspace, extra?: Record<string, string>): Record<string, string>
  /** Starts `asset-cache serve` over `ws` and this Gitea. */
  serve(
    ws: Workspace,
    options?: Pick<ServeOptions, 'env' | 'preload' | 'keepLines'>,
  ): Promise<Served>
  /** Kills every server process, stops Gitea, removes the temp dirs. */
  stop(): Promise<void>
}

/** Starts the fake Gitea with `templates` repositories `acme/<prefix><i>` (makeRepos). */
export async function startOrigin(templates: number, prefix: string): Promise<RelOrigin> {
  const gitea = await startFakeGitea({ tokens: [GITEA_TOKEN] })
  const repos = await makeRepos(gitea, templates, prefix)
  const dirs: string[] = []
  const tempDir = async (label: string) => {
    const dir = await mkdtemp(join(tmpdir(), `asset-cache-${label}-`))
    dirs.push(dir)
    return dir
  }
  const place = (ws: Workspace) => ({ ...ws, giteaUrl: gitea.url })
  return {
    gitea,
    repos,
    names: repos.map((r) => r.name),
    tempDir,
    workspace: async (label) => {
      const work = await tempDir(label)
      return { work, dataDir: join(work, 'data'), templatesFile: await writeManifest(work, repos) }
    },
    env: (ws, extra) => serveEnv({ ...place(ws), ...(extra ? { env: extra } : {}) }),
    serve: (ws, options = {}) => startServe({ ...place(ws), ...options }),
    stop: async () => {
      await killServerProcesses()
      await gitea.stop()
      for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
    },
  }
}

/** A unique marker, for commits that must differ. */
export const stamp = () => randomBytes(6).toString('hex')

/** Percentile of a sample (nearest rank). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}
