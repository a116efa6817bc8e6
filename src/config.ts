// The one place that reads the environment: a zod schema over every variable in
// docs/configuration.md (with the MOLECULE_* aliases) and the templates manifest. Parsed once at
// start-up.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { AppError } from './errors.js'
import { type Platform, parsePlatforms } from './oci/image.js'
import { Secret } from './secret.js'
import { tokenWeakness } from './token-strength.js'
import { parseDuration, parseSize } from './units.js'

export const DEFAULT_ALLOW = ['config.yaml', 'prompts/**', 'agent-skills/**']
export const DEFAULT_REQUIRE = ['config.yaml']

export interface TemplateSpec {
  name: string
  /** `owner/name` as configured; webhook matching is case-insensitive on it. */
  repo: string
  ref: string
  allow: string[]
  require: string[]
}

/** A provisioner token: only its SHA-256 is kept; `scope` null means every template. */
export interface ReadToken {
  sha256: Buffer
  scope: string[] | null
}

export interface GiteaConfig {
  baseUrl: URL
  token: Secret
}

export interface Limits {
  maxCompressedBytes: number
  maxUnpackedBytes: number
  maxEntries: number
  maxFileBytes: number
}

/**
 * What one client may hold of the HTTP listener: node's headersTimeout and requestTimeout (time to
 * the end of the headers, and of the whole request), keepAliveTimeout (an idle connection
 * between requests), an idle timeout for an answer the client stops taking (a client that stops
 * reading its bundle), the deadline for the body of a webhook or an admin form, and the number of
 * connections open at once.
 */
export interface HttpLimits {
  headersTimeoutMs: number
  requestTimeoutMs: number
  keepAliveTimeoutMs: number
  idleTimeoutMs: number
  bodyTimeoutMs: number
  maxConnections: number
}

export interface Config {
  dataDir: string
  host: string
  port: number
  templatesFile: string | null
  templates: TemplateSpec[]
  /** Null when fetching is off; `fetchOff` says why. */
  gitea: GiteaConfig | null
  fetchOff: string | null
  /** ASSET_CACHE_FETCH: false = fetching is off on purpose (no Gitea client even with GITEA_* set). */
  fetchEnabled: boolean
  webhookSecret: Secret | null
  /**
   * Bytes of one webhook delivery. Gitea caps neither the payload nor its file lists (up to five
   * commits plus the head commit, each with every added/removed/modified path), so a commit adding
   * thousands of files is a multi-megabyte delivery; GitHub caps its own at 25 MB.
   */
  webhookMaxBodyBytes: number
  /**
   * GITEA_ARCHIVE_PREFIX, mirroring Gitea's `[repository] PREFIX_ARCHIVE_FILES` (default true):
   * whether archives carry a top-level directory (the lower-cased repository name).
   */
  archivePrefix: boolean
  readTokens: ReadToken[]
  adminToken: Secret | null
  /** GITEA_STATUS_TOKEN: posts commit statuses (write access to statuses); null = none posted. */
  statusToken: Secret | null
  /** GITEA_BASE_URL alone (fetching needs GITEA_TOKEN too; `hooks sync` does not). */
  giteaBaseUrl: URL | null
  /** GITEA_HOOKS_TOKEN: `asset-cache hooks sync` manages webhooks with it (repository admin). */
  hooksToken: Secret | null
  /** ASSET_CACHE_PUBLIC_URL: how Gitea and browsers reach this cache (hook URL, status links). */
  publicUrl: URL | null
  /** ASSET_CACHE_URL_KEY: the HMAC key of signed bundle URLs; null = no signed URLs. */
  urlKey: Secret | null
  reconcileIntervalMs: number
  allowAnonymousReads: boolean
  storeBudgetBytes: number
  keepVersions: number
  /** Scheduled garbage collection; null = only on demand (CLI or admin API). */
  gcIntervalMs: number | null
  workers: number
  limits: Limits
  logLevel: string
  /** Connection limits of the HTTP listeners (see HttpLimits). */
  http: HttpLimits
  /** Webhook delivery records: kept this long (pruned with GC), and at most this many rows. */
  deliveries: { retentionMs: number; maxRows: number }
  /** A separate listener for /metrics; null = served on the main listener. */
  metrics: { host: string; port: number } | null
  /** The /v2 OCI API: image index platforms, and GITEA_BASE_URL (with or without a token) for the source annotation. */
  oci: { platforms: Platform[]; sourceBase: string | null }
}

// Environment variables, each with its alias (first non-empty wins).
const ALIASES: Record<string, string[]> = {
  GITEA_BASE_URL: ['GITEA_BASE_URL', 'MOLECULE_GITEA_BASE_URL'],
  GITEA_TOKEN: ['GITEA_TOKEN', 'MOLECULE_TEMPLATE_REPO_TOKEN'],
}

const optionalText = z.string().min(1).optional()

/** A human unit (`5m`, `2GiB`) parsed to a positive number, with `example` in the error. */
const humanUnit = (parse: (text: string) => number | null, example: string) => (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const value = parse(text)
      if (value === null || value <= 0) {
        ctx.addIssue({ code: 'custom', message: `expected ${example}, got "${text}"` })
        return z.NEVER
      }
      return value
    })

const duration = humanUnit(parseDuration, 'a duration like 30s, 5m or 1h')
const size = humanUnit(parseSize, 'a size like 512MiB or 2GiB')

const integer = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback)

const boolean = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .default('false')
  .transform((v) => v === 'true' || v === '1' || v === 'yes')

export const envSchema = z.object({
  ASSET_CACHE_DATA_DIR: z.string().min(1).default('./data'),
  ASSET_CACHE_HOST: z.string().min(1).default('127.0.0.1'),
  ASSET_CACHE_PORT: integer(8080, 0, 65535),
  ASSET_CACHE_TEMPLATES: optionalText,
  GITEA_BASE_URL: z
    .url({ protocol: /^https?$/, error: 'expected an http(s) URL such as https://git.example.com' })
    .optional(),
  GITEA_TOKEN: optionalText,
  GITEA_STATUS_TOKEN: optionalText,
  GITEA_HOOKS_TOKEN: optionalText,
  ASSET_CACHE_PUBLIC_URL: z
    .url({
      protocol: /^https?$/,
      error: 'expected an http(s) URL such as https://cache.example.com',
    })
    .refine((text) => {
      const url = new URL(text)
      return !url.search && !url.hash && !url.username && !url.password
    }, 'expected a base URL without credentials, query or fragment')
    .optional(),
  GITEA_ARCHIVE_PREFIX: z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default('true')
    .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  ASSET_CACHE_FETCH: z.enum(['on', 'off']).default('on'),
  ASSET_CACHE_WEBHOOK_SECRET: optionalText,
  ASSET_CACHE_READ_TOKENS: optionalText,
  ASSET_CACHE_ADMIN_TOKEN: optionalText.superRefine((token, ctx) => {
    const weakness = token === undefined ? null : tokenWeakness(token)
    if (weakness) {
      ctx.addIssue({
        code: 'custom',
        message: `${weakness}; make one with \`openssl rand -hex 32\``,
      })
    }
  }),
  ASSET_CACHE_URL_KEY: optionalText.superRefine((key, ctx) => {
    if (key === undefined) return
    const weakness = Buffer.byteLength(key) < 32 ? 'shorter than 32 bytes' : tokenWeakness(key)
    if (weakness) {
      ctx.addIssue({
        code: 'custom',
        message: `${weakness}; make one with \`openssl rand -hex 32\``,
      })
    }
  }),
  ASSET_CACHE_RECONCILE_INTERVAL: duration('5m'),
  ASSET_CACHE_ALLOW_ANONYMOUS_READS: boolean,
  ASSET_CACHE_STORE_BUDGET: size('2GiB'),
  ASSET_CACHE_KEEP_VERSIONS: integer(3, 1, 1000),
  ASSET_CACHE_GC_INTERVAL: z
    .string()
    .default('1h')
    .transform((text, ctx) => {
      if (text === 'off' || text === '0') return null
      const value = parseDuration(text)
      if (value === null || value <= 0) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a duration like 30m or 1h, or off, got "${text}"`,
        })
        return z.NEVER
      }
      return value
    }),
  ASSET_CACHE_MAX_CONNECTIONS: integer(1024, 1, 1_000_000),
  ASSET_CACHE_HEADERS_TIMEOUT: duration('10s'),
  ASSET_CACHE_REQUEST_TIMEOUT: duration('30s'),
  ASSET_CACHE_KEEP_ALIVE_TIMEOUT: duration('5s'),
  ASSET_CACHE_IDLE_TIMEOUT: duration('30s'),
  ASSET_CACHE_BODY_TIMEOUT: duration('10s'),
  ASSET_CACHE_WEBHOOK_MAX_BODY: size('25MiB'),
  ASSET_CACHE_DELIVERY_RETENTION: duration('30d'),
  ASSET_CACHE_DELIVERY_MAX_ROWS: integer(100_000, 1, 100_000_000),
  ASSET_CACHE_WORKERS: integer(4, 1, 64),
  ASSET_CACHE_MAX_ARCHIVE_SIZE: size('16MiB'),
  ASSET_CACHE_MAX_UNPACKED_SIZE: size('64MiB'),
  ASSET_CACHE_MAX_FILE_SIZE: size('16MiB'),
  ASSET_CACHE_MAX_ENTRIES: integer(10_000, 1, 1_000_000),
  ASSET_CACHE_LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info'),
  ASSET_CACHE_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  ASSET_CACHE_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  ASSET_CACHE_OCI_PLATFORMS: z
    .string()
    .default('linux/amd64,linux/arm64')
    .transform((text, ctx) => {
      const parsed = parsePlatforms(text)
      if ('error' in parsed) {
        ctx.addIssue({ code: 'custom', message: parsed.error })
        return z.NEVER
      }
      return parsed.platforms
    }),
})

/** Every variable the service reads (docs and tests enumerate it). */
export const ENV_VARS = [
  ...Object.keys(envSchema.shape).filter((k) => !(k in ALIASES)),
  ...Object.values(ALIASES).flat(),
]

const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,127}$/

/** A valid template name (as the manifest requires: lowercase letters, digits, . _ -). */
export const isTemplateName = (name: string): boolean => NAME_RE.test(name)
const REPO_RE = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/
// git check-ref-format, the subset that matters for a branch name in a URL path.
const REF_RE = /^(?!\/|.*(?:\/\/|\.\.|@\{|\/$|\.lock$|\.$))[^\s~^:?*[\\\x00-\x1f\x7f]{1,255}$/

const globList = z.array(z.string().min(1).max(256)).max(64)

// Unknown keys are ignored: a fleet's existing manifest may carry fields of its own.
const templateSchema = z.object({
  name: z.string().regex(NAME_RE, 'expected lowercase letters, digits, ".", "_" or "-"'),
  repo: z.string().regex(REPO_RE, 'expected "owner/name"'),
  ref: z.string().regex(REF_RE, 'expected a branch name').default('main'),
  allow: globList.default(DEFAULT_ALLOW),
  require: z.array(z.string().min(1).max(1024)).max(64).default(DEFAULT_REQUIRE),
})

export const manifestSchema = z
  .object({ workspace_templates: z.array(templateSchema) })
  .superRefine((manifest, ctx) => {
    const seen = new Set<string>()
    manifest.workspace_templates.forEach((t, i) => {
      if (seen.has(t.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['workspace_templates', i, 'name'],
          message: `duplicate template name "${t.name}"`,
        })
      }
      seen.add(t.name)
    })
  })

function issuesText(error: z.ZodError, where: string): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.reduce<string>(
        (acc, key) =>
          typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key),
        '',
      )
      return `${where}: ${path || '(root)'}: ${issue.message}`
    })
    .join('\n')
}

/** Parses a templates manifest (JSON, or YAML of the same shape). `file` names it in errors. */
export function parseManifest(text: string, file: string): TemplateSpec[] {
  let data: unknown
  try {
    data = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 100 })
  } catch (err) {
    throw new AppError(
      'CONFIG_INVALID',
      `${file}: not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
      { file },
    )
  }
  const result = manifestSchema.safeParse(data)
  if (!result.success) {
    throw new AppError('CONFIG_INVALID', issuesText(result.error, file), { file })
  }
  return result.data.workspace_templates
}

/** `tok`, `sha256:<hex>`, optionally scoped: `tok@seo-agent+docs-agent`. Entries are comma-separated. */
export function parseReadTokens(text: string | undefined): ReadToken[] {
  if (!text) return []
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry, i) => {
      const at = entry.lastIndexOf('@')
      const token = at === -1 ? entry : entry.slice(0, at)
      const scopeText = at === -1 ? null : entry.slice(at + 1)
      const scope = scopeText === null ? null : scopeText.split('+').filter(Boolean)
      const where = `environment: ASSET_CACHE_READ_TOKENS[${i}]`
      if (!token) throw new AppError('CONFIG_INVALID', `${where}: empty token`)
      if (scope !== null && (scope.length === 0 || !scope.every((s) => NAME_RE.test(s)))) {
        throw new AppError('CONFIG_INVALID', `${where}: scope must be template names joined by "+"`)
      }
      const hashed = /^sha256:([0-9a-f]{64})$/.exec(token)
      if (token.startsWith('sha256:') && !hashed) {
        throw new AppError(
          'CONFIG_INVALID',
          `${where}: expected sha256: followed by 64 lowercase hex digits`,
        )
      }
      const sha256 = hashed ? Buffer.from(hashed[1]!, 'hex') : sha256Of(token)
      return { sha256, scope }
    })
}

function sha256Of(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}

/** Reads the environment (and the manifest it points to). Throws AppError CONFIG_INVALID naming the field. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const raw: Record<string, string | undefined> = {}
  for (const key of Object.keys(envSchema.shape)) {
    const names = ALIASES[key] ?? [key]
    raw[key] = names.map((n) => env[n]).find((v) => v !== undefined && v !== '')
  }
  const parsed = envSchema.safeParse(raw)
  if (!parsed.success) {
    throw new AppError('CONFIG_INVALID', issuesText(parsed.error, 'environment'))
  }
  const e = parsed.data
  // node refuses a headers timeout longer than the whole-request one.
  if (e.ASSET_CACHE_HEADERS_TIMEOUT > e.ASSET_CACHE_REQUEST_TIMEOUT) {
    throw new AppError(
      'CONFIG_INVALID',
      'environment: ASSET_CACHE_HEADERS_TIMEOUT: must not be longer than ASSET_CACHE_REQUEST_TIMEOUT',
    )
  }

  let templates: TemplateSpec[] = []
  let templatesFile: string | null = null
  if (e.ASSET_CACHE_TEMPLATES) {
    templatesFile = resolve(cwd, e.ASSET_CACHE_TEMPLATES)
    let text: string
    try {
      text = readFileSync(templatesFile, 'utf8')
    } catch (err) {
      throw new AppError(
        'CONFIG_INVALID',
        `environment: ASSET_CACHE_TEMPLATES: cannot read ${templatesFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      )
    }
    templates = parseManifest(text, templatesFile)
  }

  let gitea: GiteaConfig | null = null
  let fetchOff: string | null = null
  const fetchEnabled = e.ASSET_CACHE_FETCH === 'on'
  if (!fetchEnabled) {
    fetchOff = 'fetching is off: ASSET_CACHE_FETCH=off'
  } else if (e.GITEA_BASE_URL && e.GITEA_TOKEN) {
    gitea = { baseUrl: new URL(e.GITEA_BASE_URL), token: new Secret(e.GITEA_TOKEN) }
  } else {
    const missing = [!e.GITEA_BASE_URL && 'GITEA_BASE_URL', !e.GITEA_TOKEN && 'GITEA_TOKEN'].filter(
      Boolean,
    )
    fetchOff = `fetching is off: ${missing.join(' and ')} not set`
  }

  return {
    dataDir: resolve(cwd, e.ASSET_CACHE_DATA_DIR),
    host: e.ASSET_CACHE_HOST,
    port: e.ASSET_CACHE_PORT,
    templatesFile,
    templates,
    gitea,
    fetchOff,
    fetchEnabled,
    webhookSecret: e.ASSET_CACHE_WEBHOOK_SECRET ? new Secret(e.ASSET_CACHE_WEBHOOK_SECRET) : null,
    webhookMaxBodyBytes: e.ASSET_CACHE_WEBHOOK_MAX_BODY,
    archivePrefix: e.GITEA_ARCHIVE_PREFIX,
    readTokens: parseReadTokens(e.ASSET_CACHE_READ_TOKENS),
    adminToken: e.ASSET_CACHE_ADMIN_TOKEN ? new Secret(e.ASSET_CACHE_ADMIN_TOKEN) : null,
    urlKey: e.ASSET_CACHE_URL_KEY ? new Secret(e.ASSET_CACHE_URL_KEY) : null,
    statusToken: e.GITEA_STATUS_TOKEN ? new Secret(e.GITEA_STATUS_TOKEN) : null,
    giteaBaseUrl: e.GITEA_BASE_URL ? new URL(e.GITEA_BASE_URL) : null,
    hooksToken: e.GITEA_HOOKS_TOKEN ? new Secret(e.GITEA_HOOKS_TOKEN) : null,
    publicUrl: e.ASSET_CACHE_PUBLIC_URL ? new URL(e.ASSET_CACHE_PUBLIC_URL) : null,
    reconcileIntervalMs: e.ASSET_CACHE_RECONCILE_INTERVAL,
    allowAnonymousReads: e.ASSET_CACHE_ALLOW_ANONYMOUS_READS,
    storeBudgetBytes: e.ASSET_CACHE_STORE_BUDGET,
    keepVersions: e.ASSET_CACHE_KEEP_VERSIONS,
    gcIntervalMs: e.ASSET_CACHE_GC_INTERVAL,
    workers: e.ASSET_CACHE_WORKERS,
    limits: {
      maxCompressedBytes: e.ASSET_CACHE_MAX_ARCHIVE_SIZE,
      maxUnpackedBytes: e.ASSET_CACHE_MAX_UNPACKED_SIZE,
      maxEntries: e.ASSET_CACHE_MAX_ENTRIES,
      maxFileBytes: e.ASSET_CACHE_MAX_FILE_SIZE,
    },
    http: {
      headersTimeoutMs: e.ASSET_CACHE_HEADERS_TIMEOUT,
      requestTimeoutMs: e.ASSET_CACHE_REQUEST_TIMEOUT,
      keepAliveTimeoutMs: e.ASSET_CACHE_KEEP_ALIVE_TIMEOUT,
      idleTimeoutMs: e.ASSET_CACHE_IDLE_TIMEOUT,
      bodyTimeoutMs: e.ASSET_CACHE_BODY_TIMEOUT,
      maxConnections: e.ASSET_CACHE_MAX_CONNECTIONS,
    },
    deliveries: {
      retentionMs: e.ASSET_CACHE_DELIVERY_RETENTION,
      maxRows: e.ASSET_CACHE_DELIVERY_MAX_ROWS,
    },
    logLevel: e.ASSET_CACHE_LOG_LEVEL,
    metrics:
      e.ASSET_CACHE_METRICS_PORT === undefined
        ? null
        : { host: e.ASSET_CACHE_METRICS_HOST, port: e.ASSET_CACHE_METRICS_PORT },
    oci: {
      platforms: e.ASSET_CACHE_OCI_PLATFORMS,
      sourceBase: e.GITEA_BASE_URL ? new URL(e.GITEA_BASE_URL).href : null,
    },
  }
}
