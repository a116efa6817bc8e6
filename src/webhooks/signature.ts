// Webhook signatures: HMAC-SHA256 of the signed bytes with the shared secret, lowercase hex.
// Gitea signs the raw JSON body, or for form deliveries the decoded `payload` field.
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { Secret } from '../secret.js'

const HEX_SHA256 = /^[0-9a-f]{64}$/

/**
 * Header order of docs/api.md#webhook--post-hooksgitea: the first one present is the one checked,
 * even when empty.
 */
const SIGNATURE_HEADERS = [
  ['x-gitea-signature', ''],
  ['x-forgejo-signature', ''],
  ['x-hub-signature-256', 'sha256='],
] as const

/** The signature headers a receiver checks, in that order. */
export const SIGNATURE_HEADER_NAMES = SIGNATURE_HEADERS.map(([name]) => name)

/** The signature a request carries, or null when it carries none. */
export function providedSignature(header: (name: string) => string | undefined): string | null {
  for (const [name, prefix] of SIGNATURE_HEADERS) {
    const value = header(name)
    if (value === undefined) continue
    return prefix && value.startsWith(prefix) ? value.slice(prefix.length) : prefix ? '' : value
  }
  return null
}

export function sign(secret: Secret, data: string | Uint8Array): string {
  return createHmac('sha256', secret.reveal()).update(data).digest('hex')
}

/** Constant-time check of `provided` against the HMAC of `data`. Missing, empty or malformed: false. */
export function verifySignature(
  secret: Secret,
  data: string | Uint8Array,
  provided: string | null,
): boolean {
  if (!provided || !HEX_SHA256.test(provided)) return false
  const expected = createHmac('sha256', secret.hmacKey()).update(data).digest()
  return timingSafeEqual(expected, Buffer.from(provided, 'hex'))
}
