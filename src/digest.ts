// Digest syntax: `sha256:<64 lowercase hex>`, the only form accepted anywhere.
import { createHash } from 'node:crypto'

const DIGEST_RE = /^sha256:([0-9a-f]{64})$/

/** The hex part of a well-formed digest, or null. Uppercase, other algorithms and padding are refused. */
export function digestHex(digest: string): string | null {
  const m = DIGEST_RE.exec(digest)
  return m ? m[1]! : null
}

export function isDigest(value: unknown): value is string {
  return typeof value === 'string' && DIGEST_RE.test(value)
}

export function digestOf(hex: string): string {
  return `sha256:${hex}`
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex')
}
