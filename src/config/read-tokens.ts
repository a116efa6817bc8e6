// ASSET_CACHE_READ_TOKENS: provisioner tokens, kept only as their SHA-256, each with its scope.
import { createHash, timingSafeEqual } from 'node:crypto'
import { AppError } from '../errors.js'
import { NAME_RE } from './manifest.js'

/** A provisioner token: only its SHA-256 is kept; `scope` null means every template. */
export interface ReadToken {
  sha256: Buffer
  scope: string[] | null
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

export const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i

/**
 * The entry whose hash equals sha256(token), or null. Every entry is compared (no early exit), so
 * the time taken does not depend on which entry matched. The token itself is never logged.
 */
export function matchReadToken(tokens: readonly ReadToken[], token: string): ReadToken | null {
  const hash = createHash('sha256').update(token).digest()
  let found: ReadToken | null = null
  for (const entry of tokens) {
    if (timingSafeEqual(hash, entry.sha256) && found === null) found = entry
  }
  return found
}

/** Authorization header values remembered at most. */
const ACCEPTED_MAX = 64

/**
 * The configured read tokens, and the Authorization header values already matched (one per app,
 * in its AppDeps state). The first sight of a value goes through matchReadToken (sha256 +
 * constant-time compare); a value that matched is remembered, so a provisioner's repeated
 * requests skip the hash. Only accepted values are kept (a stream of wrong tokens cannot fill the
 * map), at most ACCEPTED_MAX of them: when full it starts over.
 */
export class AcceptedTokens {
  readonly tokens: readonly ReadToken[]
  readonly #accepted = new Map<string, ReadToken>()
  constructor(tokens: readonly ReadToken[]) {
    this.tokens = tokens
  }
  /** No tokens configured: reads are anonymous. */
  get empty(): boolean {
    return this.tokens.length === 0
  }
  /** The entry a Bearer header value grants, or null. */
  entry(header: string): ReadToken | null {
    const known = this.#accepted.get(header)
    if (known) return known
    const m = BEARER.exec(header)
    const entry = m ? matchReadToken(this.tokens, m[1]!) : null
    if (entry) {
      if (this.#accepted.size >= ACCEPTED_MAX) this.#accepted.clear()
      this.#accepted.set(header, entry)
    }
    return entry
  }
}
