// The whole stack for end-to-end tests: the fake Gitea over real git repositories, a templates
// manifest and configuration in a temp dir, and asset-cache serving them - in this process
// (startServer) or as a child process (`asset-cache serve`) - with one stop() for all of it.
import { loadConfig } from '../../src/config.js'
import { type RunningServer, type StartOptions, startServer } from '../../src/http/server.js'
import { silentLogger } from '../../src/log.js'
import {
  createRepo,
  type FakeGitea,
  type FakeGiteaOptions,
  type GitRepo,
  type RepoFiles,
  startFakeGitea,
} from './gitea/index.js'
import { type TemplateFixture, testEnv } from './runtime.js'
import {
  type ServerProcess,
  type ServerProcessOptions,
  startServerProcess,
} from './server-process.js'

export interface StackRepo {
  /** Repository name; also the template's name unless `template` is given. */
  name: string
  owner?: string
  files: RepoFiles
  /** The template that tracks this repository; `false`: on Gitea but not in the manifest. */
  template?: string | false
  ref?: string
  parentDir?: string
}

/** The smallest template most suites need. */
export const BRIEF_FILES: RepoFiles = {
  'config.yaml': 'name: seo\n',
  'prompts/system.md': 'Be brief.\n',
}

/** A template with a bit of everything: prompts, an executable skill, a Dockerfile, a README. */
export const TEMPLATE_FILES = {
  'config.yaml': 'name: seo\nmodel: small\n',
  'prompts/system.md': 'You are helpful.\n',
  'agent-skills/search/run.sh': { content: '#!/bin/sh\necho hi\n', mode: 0o755 as const },
  Dockerfile: 'FROM scratch\n',
  'README.md': '# template\n',
} satisfies RepoFiles

/** Retries that take milliseconds instead of seconds, for suites that inject origin faults. */
export const QUICK_RETRIES = {
  giteaTiming: { backoffBaseMs: 20, backoffMaxMs: 200 },
  jobBackoffBaseMs: 20,
} satisfies Partial<StartOptions>

/** The repository most suites track, as template `seo`. */
export function seoRepo(files: RepoFiles, name = 'agent-template-seo'): StackRepo {
  return { name, template: 'seo', files }
}

export interface StackTokens {
  /** The token the fake Gitea accepts and the server sends (GITEA_TOKEN). */
  gitea: string
  /** ASSET_CACHE_WEBHOOK_SECRET, when set. */
  webhookSecret?: string
  /** ASSET_CACHE_READ_TOKENS, when set (the variable's value, as given). */
  read?: string
  /** ASSET_CACHE_ADMIN_TOKEN, when set. */
  admin?: string
}

export type ChildOptions = Omit<ServerProcessOptions, 'env'>

export interface ServeOptions {
  /** Added to (or overriding) the stack's environment for this server only. */
  env?: Record<string, string>
  /** A new temp dir (manifest and data dir) instead of the stack's own. */
  fresh?: boolean
  /** This server's manifest (implies `fresh`); default: the stack's templates. */
  templates?: TemplateFixture[]
  /** In-process start options (logger, timing); the default logger is silent. */
  server?: Partial<StartOptions>
}

export interface StackOptions extends ServeOptions {
  /** Repositories created on the fake Gitea, in order; each is a template unless told not. */
  repos?: StackRepo[]
  /** More manifest entries (e.g. templates whose repository Gitea does not have). */
  templates?: TemplateFixture[]
  tokens?: Partial<StackTokens>
  /** Options for the fake Gitea (its tokens are `tokens.gitea` unless given). */
  gitea?: Partial<FakeGiteaOptions>
  /** Run `asset-cache serve` as a child process (with these options) instead of in-process. */
  child?: ChildOptions | boolean
  /** Start a server now (default); with false, call serve() when the test wants one. */
  serve?: boolean
}

/** One server of the stack: in-process (`server`) or a child process (`process`). */
export interface StackServer {
  url: string
  env: Record<string, string>
  dataDir: string
  templatesFile: string
  /** The in-process server; null for a child process. */
  server: RunningServer | null
  /** The child process; null in-process. */
  process: ServerProcess | null
  /** Stops this server (close, or SIGKILL for a child); safe to call twice. */
  stop(): Promise<void>
}

export interface Stack {
  gitea: FakeGitea
  /** The repositories of `options.repos`, in order. */
  repos: GitRepo[]
  /** The first repository. */
  repo: GitRepo
  tokens: StackTokens
  /** The temp dir holding the manifest and the data dir. */
  dir: string
  dataDir: string
  templatesFile: string
  /** The environment every server of the stack gets (ServeOptions.env adds to it). */
  env: Record<string, string>
  /** The server started last (throws before any). */
  readonly current: StackServer
  readonly url: string
  /** The in-process server started last (throws for a child process). */
  readonly server: RunningServer
  /** The child process started last (throws in-process). */
  readonly process: ServerProcess
  /** Starts another server over the stack's Gitea (the previous ones keep running). */
  serve(options?: ServeOptions): Promise<StackServer>
  /** Stops every server, then the fake Gitea. */
  stop(): Promise<void>
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const tokens: StackTokens = { gitea: 'gitea-token', ...options.tokens }
  const gitea = await startFakeGitea({ tokens: [tokens.gitea], ...options.gitea })
  const servers: StackServer[] = []
  try {
    const repos: GitRepo[] = []
    const templates: TemplateFixture[] = []
    for (const r of options.repos ?? []) {
      const repo = gitea.addRepo(
        await createRepo({
          owner: r.owner ?? 'acme',
          name: r.name,
          files: r.files,
          ...(r.parentDir ? { parentDir: r.parentDir } : {}),
        }),
      )
      repos.push(repo)
      if (r.template !== false)
        templates.push({ name: r.template ?? r.name, repo: repo.fullName, ref: r.ref ?? 'main' })
    }
    templates.push(...(options.templates ?? []))
    const child = options.child ? (options.child === true ? {} : options.child) : null
    const base: Record<string, string> = {
      GITEA_BASE_URL: gitea.url,
      GITEA_TOKEN: tokens.gitea,
      ASSET_CACHE_RECONCILE_INTERVAL: '1h',
      ...(tokens.webhookSecret ? { ASSET_CACHE_WEBHOOK_SECRET: tokens.webhookSecret } : {}),
      ...(tokens.read ? { ASSET_CACHE_READ_TOKENS: tokens.read } : {}),
      ...(tokens.admin ? { ASSET_CACHE_ADMIN_TOKEN: tokens.admin } : {}),
      // A child is ready when it logs that it listens.
      ...(child ? { ASSET_CACHE_LOG_LEVEL: 'info' } : {}),
    }
    const own = testEnv(templates, { ...base, ...options.env })

    const serve = async (serveOptions: ServeOptions = {}): Promise<StackServer> => {
      const env = {
        ...(serveOptions.fresh || serveOptions.templates
          ? testEnv(serveOptions.templates ?? templates, { ...base, ...options.env }).env
          : own.env),
        ...serveOptions.env,
      }
      const dataDir = env.ASSET_CACHE_DATA_DIR!
      const templatesFile = env.ASSET_CACHE_TEMPLATES!
      let one: StackServer
      if (child) {
        const proc = await startServerProcess({ ...child, env })
        one = {
          url: proc.url,
          env,
          dataDir,
          templatesFile,
          server: null,
          process: proc,
          stop: async () => {
            await proc.kill('SIGKILL')
          },
        }
      } else {
        const config = loadConfig(env, own.dir)
        const server = await startServer(config, {
          logger: silentLogger,
          ...options.server,
          ...serveOptions.server,
        })
        one = {
          url: server.url,
          env,
          dataDir,
          templatesFile,
          server,
          process: null,
          stop: () => server.close(1_000),
        }
      }
      servers.push(one)
      return one
    }

    const current = () => {
      const last = servers.at(-1)
      if (!last) throw new Error('no server started in this stack')
      return last
    }
    const stack: Stack = {
      gitea,
      repos,
      repo: repos[0]!,
      tokens,
      dir: own.dir,
      dataDir: own.env.ASSET_CACHE_DATA_DIR!,
      templatesFile: own.env.ASSET_CACHE_TEMPLATES!,
      env: own.env,
      get current() {
        return current()
      },
      get url() {
        return current().url
      },
      get server() {
        const s = current().server
        if (!s) throw new Error('this stack runs its server as a child process')
        return s
      },
      get process() {
        const p = current().process
        if (!p) throw new Error('this stack runs its server in-process')
        return p
      },
      serve,
      stop: async () => {
        for (const s of servers.splice(0).reverse()) await s.stop()
        await gitea.stop()
      },
    }
    if (options.serve !== false) await serve()
    return stack
  } catch (error) {
    for (const s of servers.splice(0)) await s.stop().catch(() => undefined)
    await gitea.stop()
    throw error
  }
}
