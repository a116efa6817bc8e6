// A value that must never reach a log line, an error message or a page.
import { createHash, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto'
import { inspect } from 'node:util'

const REDACTED = '[redacted]'

export class Secret {
  readonly #value: string
  #key: KeyObject | undefined
  constructor(value: string) {
    this.#value = value
  }
  /** The raw value, for the one place that needs it (a header, an HMAC key). */
  reveal(): string {
    return this.#value
  }
  /** The value as an HMAC key, made once: each use then skips converting it. */
  hmacKey(): KeyObject {
    this.#key ??= createSecretKey(Buffer.from(this.#value, 'utf8'))
    return this.#key
  }
  toString(): string {
    return REDACTED
  }
  toJSON(): string {
    return REDACTED
  }
  [inspect.custom](): string {
    return REDACTED
  }
}

/**
 * Constant-time equality of two texts of any lengths: both are hashed to 32 bytes first, so
 * neither the comparison's time nor an early length check tells how much of `presented` matched.
 */
export function sameText(want: string, presented: string): boolean {
  const a = createHash('sha256').update(want).digest()
  const b = createHash('sha256').update(presented).digest()
  return timingSafeEqual(a, b)
}
