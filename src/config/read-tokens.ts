// ASSET_CACHE_READ_TOKENS: provisioner tokens, kept only as their SHA-256, each with its scope.
import { createHash } from 'node:crypto'
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
