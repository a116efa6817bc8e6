// Plain-text output helpers shared by the CLI commands.

/** Left-aligned columns, two spaces apart; the header row is the first. */
export function table(rows: string[][]): string {
  const widths: number[] = []
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length)
    })
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

export function shortDigest(digest: string | null): string {
  return digest ? digest.slice(0, 19) : '-'
}

export function shortSha(sha: string | null): string {
  return sha ? sha.slice(0, 10) : '-'
}

/** `3m ago`-style age. */
export function age(ms: number | null, now = Date.now()): string {
  if (ms === null) return '-'
  const s = Math.max(0, Math.round((now - ms) / 1000))
  if (s < 60) return `${s}s ago`
  if (s < 3600) return `${Math.floor(s / 60)}m ago`
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`
  return `${Math.floor(s / 86400)}d ago`
}
