// Short forms for humans: commit ids, digests, ages, file modes. Pure text; escaping is JSX's.

/** `1a2b3c4` — git's default abbreviation. */
export function shortSha(commit: string | null): string {
  return commit ? commit.slice(0, 7) : '—'
}

/** `sha256:1a2b3c4d5e6f`: enough to tell bundles apart; the full digest goes in a title. */
export function shortDigest(digest: string | null): string {
  if (!digest) return '—'
  const [algo, hex] = digest.split(':')
  return hex ? `${algo}:${hex.slice(0, 12)}` : digest.slice(0, 19)
}

/** `5 min ago`, `in 30 s`, `3 d ago`. */
export function ago(at: number | null, now: number): string {
  if (at === null) return '—'
  const delta = now - at
  const future = delta < 0
  const s = Math.round(Math.abs(delta) / 1000)
  let text: string
  if (s < 5) return 'just now'
  if (s < 60) text = `${s} s`
  else if (s < 3600) text = `${Math.floor(s / 60)} min`
  else if (s < 48 * 3600) text = `${Math.floor(s / 3600)} h`
  else text = `${Math.floor(s / 86_400)} d`
  return future ? `in ${text}` : `${text} ago`
}

/** ISO 8601 in UTC, for titles and <time datetime>. */
export function isoTime(at: number | null): string {
  return at === null ? '' : new Date(at).toISOString()
}

export function fileMode(mode: number): string {
  return `0${(mode & 0o777).toString(8)}`
}

/** `12 ms`, `3.4 s`, `5 min`, `2 h`. */
export function duration(ms: number | null): string {
  if (ms === null) return '—'
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`
  return `${Math.round(ms / 360_000) / 10} h`
}

export function percent(ratio: number): string {
  return `${Math.round(ratio * 1000) / 10}%`
}
