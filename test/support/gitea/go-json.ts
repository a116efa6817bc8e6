// Byte-for-byte Go encodings Gitea puts on the wire: JSON, RFC 3339 times, query escaping.

/**
 * Go's encoding/json escapes `<`, `>`, `&`, U+2028 and U+2029 inside strings (HTML-safe
 * output is on by default, and Gitea's json module keeps it). Those characters never occur
 * outside strings in JSON text, so replacing them after JSON.stringify is exact.
 */
function escapeLikeGo(json: string): string {
  return json.replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
}

/** json.MarshalIndent(v, "", "  "): how Gitea stores a webhook payload (HookTask.PayloadContent). */
export function goMarshalIndent(value: unknown): string {
  return escapeLikeGo(JSON.stringify(value, null, 2))
}

/** json.NewEncoder(w).Encode(v): how Gitea's API writes a JSON response (compact, then "\n"). */
export function goEncode(value: unknown): string {
  return `${escapeLikeGo(JSON.stringify(value))}\n`
}

/** Go's zero time.Time, as json.Marshal writes it. */
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z'

/**
 * time.Time marshals as RFC 3339 in the time's own zone: `Z` for a zero offset, otherwise
 * `±hh:mm`. Git signatures carry `+hhmm`, which Gitea keeps as a fixed zone.
 */
export function goTime(epochSeconds: number, tz = '+0000'): string {
  const sign = tz.startsWith('-') ? -1 : 1
  const minutes = sign * (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(3, 5)))
  const local = new Date((epochSeconds + minutes * 60) * 1000).toISOString().slice(0, 19)
  if (minutes === 0) return `${local}Z`
  return `${local}${tz.slice(0, 3)}:${tz.slice(3, 5)}`
}

/**
 * url.QueryEscape / url.Values.Encode: space becomes `+`, only `A-Z a-z 0-9 - _ . ~` stay
 * literal. encodeURIComponent also leaves `! * ' ( )` literal, so those are escaped after.
 */
export function goQueryEscape(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!*'()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+')
}

/** url.PathEscape: like QueryEscape but a space is `%20`, and `:@&=+$` stay literal. */
export function goPathEscape(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!*'()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%(3A|40|26|3D|2B|24)/g, (m) => decodeURIComponent(m))
}
