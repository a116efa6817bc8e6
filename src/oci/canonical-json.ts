// Canonical JSON for manifests and configs: object keys in ascending code-unit order at every
// level, no whitespace, JSON.stringify's string escaping. The same value always gives the same
// bytes, on every replica and every Node version, so the same bundle and commit always give the
// same manifest digest.

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json }

export function canonicalJson(value: Json): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) {
      throw new TypeError(`canonical JSON holds integers only, got ${value}`)
    }
    return JSON.stringify(value)
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const keys = Object.keys(value).sort()
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k]!)}`).join(',')}}`
}

/** The canonical bytes of `value`. */
export function canonicalBytes(value: Json): Buffer {
  return Buffer.from(canonicalJson(value), 'utf8')
}
