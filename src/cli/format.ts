// Plain-text output helpers shared by the CLI commands.

/**
 * ECMA-48 escape sequences, removed whole so that their parameters do not show up as text: CSI
 * (`ESC [` or U+009B) with its parameter, intermediate and final bytes; a terminated string
 * command (OSC, DCS, SOS, PM, APC: `ESC ]`, `ESC P`, ... or U+009D, U+0090, ...) up to BEL or ST;
 * any other `ESC` sequence. Only cosmetic: whatever this misses, UNPRINTABLE turns into spaces.
 */
const ESCAPE_SEQUENCE =
  /(?:\u001b\[|\u009b)[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]|(?:\u001b[\]PX^_]|[\u0090\u0098\u009d\u009e\u009f])[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)|\u001b[\u0020-\u002f]*[\u0030-\u007e]/g

/**
 * What a terminal may act on rather than show, by Unicode category: every control character (Cc:
 * C0, DEL, C1, so newlines and tabs too), every format character (Cf: the bidi controls U+061C,
 * U+200E/F, U+202A-E, U+2066-9, zero-width characters, soft hyphen...), line and paragraph
 * separators (Zl, Zp) and lone surrogates (Cs).
 */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]+/gu

/**
 * Text that came from a server or an archive (error messages, reasons, names), made safe to print
 * on one line: escape sequences removed, every other unprintable run turned into one space, at
 * most `max` characters. Every CLI command prints untrusted text only through this.
 */
export function printable(text: string, max = 1000): string {
  const flat = text.replace(ESCAPE_SEQUENCE, '').replace(UNPRINTABLE, ' ')
  if (flat.length <= max) return flat
  // Never cut a surrogate pair in two: half of one is a lone surrogate.
  const cut = /[\ud800-\udbff]/.test(flat[max - 2] ?? '') ? max - 2 : max - 1
  return `${flat.slice(0, cut)}…`
}

/** JSON.stringify leaves these raw inside strings (it escapes C0 controls and lone surrogates). */
const RAW_IN_JSON = /[\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}]/gu

/**
 * JSON for a terminal: DEL, C1 controls, format characters (bidi controls...) and separators are
 * written as \uXXXX escapes too, so the text holds no control character but its own newlines, and
 * parses to the same value.
 */
export function printableJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(RAW_IN_JSON, (c) =>
    Array.from(
      { length: c.length },
      (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`,
    ).join(''),
  )
}

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
export function age(ms: number | null, now: number): string {
  if (ms === null) return '-'
  const s = Math.max(0, Math.round((now - ms) / 1000))
  if (s < 60) return `${s}s ago`
  if (s < 3600) return `${Math.floor(s / 60)}m ago`
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`
  return `${Math.floor(s / 86400)}d ago`
}
