import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { loadSigningKey, type SigningKey } from './attest/keys.js'
import { ALIASES, envSchema } from './config/env-schema.js'
import { issuesText, parseManifest, type TemplateSpec } from './config/manifest.js'
import { parseReadTokens, type ReadToken } from './config/read-tokens.js'
import { AppError } from './errors.js'
import type { Platform } from './oci/image.js'
import { type OciPublishConfig, publishConfig } from './oci/publish-target.js'
import type { PeerSpec } from './peers/peer-list.js'
import { Secret } from './secret.js'

export { ENV_VARS, envSchema } from './config/env-schema.js'
export {
  DEFAULT_ALLOW,
  DEFAULT_REQUIRE,
  isTemplateName,
  manifestSchema,
  parseManifest,
  type TemplateSpec,
} from './config/manifest.js'
export { parseReadTokens, type ReadToken } from './config/read-tokens.js'

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
  /** ASSET_CACHE_URL_KEY: the HMAC key of signed bundle URLs; null = no signed URLs. */
  urlKey: Secret | null
  /** ASSET_CACHE_SIGNING_KEY: signs an attestation of every ready version; null = none. */
  signingKey: SigningKey | null
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
  /** ASSET_CACHE_PEERS: the other replicas (delivery fan-out, peer fill); null = none. */
  peers: PeerSpec | null
  /** ASSET_CACHE_OCI_PUBLISH: where every ready version is pushed; null = publishing off. */
  ociPublish: OciPublishConfig | null
  /**
   * ASSET_CACHE_PUBLIC_URL: how clients, Gitea and browsers reach this cache (the /v2 token realm,
   * the webhook URL of `hooks sync`, commit status links); null = unset.
   */
  publicUrl: URL | null
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
    // A path relative to the working directory, or the PEM itself.
    signingKey: e.ASSET_CACHE_SIGNING_KEY
      ? loadSigningKey(
          e.ASSET_CACHE_SIGNING_KEY.trimStart().startsWith('-----BEGIN ')
            ? e.ASSET_CACHE_SIGNING_KEY
            : resolve(cwd, e.ASSET_CACHE_SIGNING_KEY),
        )
      : null,
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
    peers: e.ASSET_CACHE_PEERS,
    publicUrl: e.ASSET_CACHE_PUBLIC_URL ? new URL(e.ASSET_CACHE_PUBLIC_URL) : null,
    ociPublish: publishConfig(
      e.ASSET_CACHE_OCI_PUBLISH,
      e.ASSET_CACHE_OCI_PUBLISH_USER,
      e.ASSET_CACHE_OCI_PUBLISH_PASSWORD,
    ),
    oci: {
      platforms: e.ASSET_CACHE_OCI_PLATFORMS,
      sourceBase: e.GITEA_BASE_URL ? new URL(e.GITEA_BASE_URL).href : null,
    },
  }
}
