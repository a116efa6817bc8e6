import { z } from 'zod'
import { parsePlatforms } from '../oci/image.js'
import { parsePublishTarget } from '../oci/publish-target.js'
import { parsePeers } from '../peers/peer-list.js'
import { tokenWeakness } from '../token-strength.js'
import { parseDuration, parseSize } from '../units.js'

// Environment variables, each with its alias (first non-empty wins).
export const ALIASES: Record<string, string[]> = {
  GITEA_BASE_URL: ['GITEA_BASE_URL', 'MOLECULE_GITEA_BASE_URL'],
  GITEA_TOKEN: ['GITEA_TOKEN', 'MOLECULE_TEMPLATE_REPO_TOKEN'],
}

const optionalText = z.string().min(1).optional()

/**
 * Text parsed by one of the modules that own its format, whose `{ error }` becomes the variable's
 * message (the module words it; the schema only reports it).
 */
const parsedBy =
  <T extends object>(parse: (text: string) => T | { error: string }) =>
  (text: string, ctx: z.RefinementCtx): T => {
    const parsed = parse(text)
    if ('error' in parsed) {
      ctx.addIssue({ code: 'custom', message: parsed.error })
      return z.NEVER
    }
    return parsed
  }

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
  ASSET_CACHE_SIGNING_KEY: optionalText,
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
  ASSET_CACHE_PEERS: optionalText.transform((text, ctx) =>
    text === undefined ? null : parsedBy(parsePeers)(text, ctx),
  ),
  ASSET_CACHE_OCI_PLATFORMS: z
    .string()
    .default('linux/amd64,linux/arm64')
    .transform((text, ctx) => parsedBy(parsePlatforms)(text, ctx).platforms),
  ASSET_CACHE_PUBLIC_URL: z
    .url({
      protocol: /^https?$/,
      error: 'expected an http(s) URL such as https://cache.example.com',
    })
    .refine((text) => {
      const url = new URL(text)
      return !url.username && !url.password && !url.search && !url.hash
    }, 'expected a base URL without credentials, query or fragment')
    .optional(),
  ASSET_CACHE_OCI_PUBLISH: optionalText.transform((text, ctx) =>
    text === undefined ? null : parsedBy(parsePublishTarget)(text, ctx),
  ),
  ASSET_CACHE_OCI_PUBLISH_USER: optionalText,
  ASSET_CACHE_OCI_PUBLISH_PASSWORD: optionalText,
})

/** Every variable the service reads (docs and tests enumerate it). */
export const ENV_VARS = [
  ...Object.keys(envSchema.shape).filter((k) => !(k in ALIASES)),
  ...Object.values(ALIASES).flat(),
]
