// Human units in configuration: durations (`30s`, `5m`, `1h`) and byte sizes (`512MiB`, `2GiB`).

const DURATION_RE = /^(\d+)(ms|s|m|h|d)$/
const DURATION_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const

/** Milliseconds for `<integer><ms|s|m|h|d>`, or null when the text is not such a duration. */
export function parseDuration(text: string): number | null {
  const m = DURATION_RE.exec(text.trim())
  if (!m) return null
  const value = Number(m[1]) * DURATION_MS[m[2] as keyof typeof DURATION_MS]
  return Number.isSafeInteger(value) ? value : null
}

/** `5m`-style text for `ms`: the largest unit that divides it exactly (parseDuration reads it). */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms > 0 && ms % DURATION_MS[unit] === 0) return `${ms / DURATION_MS[unit]}${unit}`
  }
  return `${ms}ms`
}

const SIZE_RE = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|TiB|KB|MB|GB|TB)?$/
const SIZE_BYTES = {
  B: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
} as const

/** Bytes for `<number>[B|KiB|MiB|GiB|TiB|KB|MB|GB|TB]` (bare numbers are bytes), or null. */
export function parseSize(text: string): number | null {
  const m = SIZE_RE.exec(text.trim())
  if (!m) return null
  const value = Math.floor(Number(m[1]) * SIZE_BYTES[(m[2] ?? 'B') as keyof typeof SIZE_BYTES])
  return Number.isSafeInteger(value) ? value : null
}

/** `1.5 MiB`-style text for humans (CLI and UI). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`
}
