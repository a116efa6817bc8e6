// ASSET_CACHE_OCI_PUBLISH: `[http(s)://]registry[:port]/namespace` — the registry every ready
// version is pushed to, and the repository prefix there. HTTPS unless `http://` is written (a
// registry without TLS). The namespace is one or more repository-name components; a template's
// repository there is `<namespace>/<its /v2 repository name>` (naming.ts), so the same tags and
// digests are found under the same path on both.
import { AppError } from '../errors.js'
import { Secret } from '../secret.js'
import { isValidName, repositoryOf } from './naming.js'

export interface PublishTarget {
  /** `http(s)://host[:port]`, no path. */
  origin: URL
  namespace: string
  /** `host[:port]/namespace`: what a publish state is recorded against. */
  key: string
}

export interface OciPublishConfig {
  target: PublishTarget
  /** ASSET_CACHE_OCI_PUBLISH_USER / _PASSWORD; null = anonymous pushes. */
  credentials: { user: string; password: Secret } | null
  /** A failed version is tried again after this, doubling per failure up to retryMaxMs. */
  retryBaseMs: number
  retryMaxMs: number
}

/** A host name or IP literal with an optional port (no credentials, path, query or fragment). */
const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$/

/** The target `text` names, or an error saying what to write instead. */
export function parsePublishTarget(text: string): PublishTarget | { error: string } {
  // Neither a host nor a namespace has an `@`: one means `user:password@` was written, and the
  // message must not repeat any of it (a raw `/` in a password would split it anywhere).
  if (text.includes('@')) {
    return {
      error:
        'credentials do not belong in ASSET_CACHE_OCI_PUBLISH; use ASSET_CACHE_OCI_PUBLISH_USER/_PASSWORD',
    }
  }
  const m = /^(?:(https?):\/\/)?([^/]+)\/(.+)$/i.exec(text.trim())
  const expected =
    'expected [http(s)://]registry[:port]/namespace, e.g. registry.example.com/templates'
  if (!m) return { error: expected }
  const [, scheme, host, namespace] = m as unknown as [string, string | undefined, string, string]
  if (!HOST.test(host)) return { error: `${expected}: "${host}" is not a host[:port]` }
  let origin: URL
  try {
    origin = new URL(`${(scheme ?? 'https').toLowerCase()}://${host}`)
  } catch {
    return { error: `${expected}: "${host}" is not a host[:port]` }
  }
  const port = origin.port === '' ? '' : `:${origin.port}`
  const path = namespace.replace(/\/+$/, '')
  // The longest template repository name must still fit under the registry's name limit.
  if (!isValidName(`${path}/${repositoryOf('a')}`)) {
    return {
      error: `"${namespace}": a namespace is lowercase components (a-z, 0-9, separated by . _ __ or -) joined by /`,
    }
  }
  return { origin, namespace: path, key: `${origin.hostname}${port}/${path}` }
}

/** The repository of template `template` at the target. */
export function publishedRepository(target: PublishTarget, template: string): string {
  return `${target.namespace}/${repositoryOf(template)}`
}

/** Base and longest wait before a failed publish is tried again. */
export const PUBLISH_RETRY_BASE_MS = 30_000
export const PUBLISH_RETRY_MAX_MS = 60 * 60_000

/** The publish settings from the three variables (target already parsed), or null when off. */
export function publishConfig(
  target: PublishTarget | null,
  user: string | undefined,
  password: string | undefined,
): OciPublishConfig | null {
  if ((user === undefined) !== (password === undefined)) {
    const missing = user === undefined ? 'USER' : 'PASSWORD'
    throw new AppError(
      'CONFIG_INVALID',
      `environment: ASSET_CACHE_OCI_PUBLISH_${missing}: set both ASSET_CACHE_OCI_PUBLISH_USER and ASSET_CACHE_OCI_PUBLISH_PASSWORD, or neither`,
    )
  }
  if (target === null) {
    if (user !== undefined) {
      throw new AppError(
        'CONFIG_INVALID',
        'environment: ASSET_CACHE_OCI_PUBLISH_USER: credentials without ASSET_CACHE_OCI_PUBLISH (the registry to publish to)',
      )
    }
    return null
  }
  return {
    target,
    credentials:
      user === undefined || password === undefined
        ? null
        : { user, password: new Secret(password) },
    retryBaseMs: PUBLISH_RETRY_BASE_MS,
    retryMaxMs: PUBLISH_RETRY_MAX_MS,
  }
}
