// Conditional requests, byte ranges and content negotiation (RFC 9110 §13, §14, §12.5.3), as far
// as the provisioner API needs them.
import type { ByteRange } from '../../store/index.js'

/** If-None-Match against a strong ETag: weak comparison, lists and `*` (RFC 9110 §13.1.2). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false
  const value = ifNoneMatch.trim()
  if (value === '*') return true
  const opaque = etag.replace(/^W\//, '')
  for (const part of value.split(',')) {
    if (part.trim().replace(/^W\//, '') === opaque) return true
  }
  return false
}

export type RangeAnswer =
  | { kind: 'full' }
  | { kind: 'partial'; range: ByteRange }
  | { kind: 'unsatisfiable' }

const SINGLE = /^bytes=[ \t]*(\d*)-(\d*)[ \t]*$/

/**
 * One `Range` header against a representation of `size` bytes. Only a single range is served;
 * a multi-range request (and anything that does not parse) gets the full body with 200, which
 * RFC 9110 §14.2 allows ("a server MAY ignore the Range header field").
 */
export function parseRange(header: string | undefined, size: number): RangeAnswer {
  if (header === undefined) return { kind: 'full' }
  const m = SINGLE.exec(header)
  if (!m) return { kind: 'full' }
  const [, first, last] = m as unknown as [string, string, string]
  if (first === '' && last === '') return { kind: 'full' }
  if (first === '') {
    // Suffix range: the last n bytes.
    const n = Number(last)
    if (!Number.isSafeInteger(n)) return { kind: 'full' }
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' }
    return { kind: 'partial', range: { start: Math.max(0, size - n), end: size - 1 } }
  }
  const start = Number(first)
  const end = last === '' ? Number.MAX_SAFE_INTEGER : Number(last)
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) return { kind: 'full' }
  if (end < start) return { kind: 'full' } // syntactically invalid: ignored
  if (start >= size) return { kind: 'unsatisfiable' }
  return { kind: 'partial', range: { start, end: Math.min(end, size - 1) } }
}

/** Whether Accept-Encoding asks for gzip with a non-zero quality. */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false
  for (const item of header.split(',')) {
    const [coding, ...params] = item.split(';').map((s) => s.trim().toLowerCase())
    if (coding !== 'gzip' && coding !== 'x-gzip') continue
    const q = params.find((p) => p.startsWith('q='))
    if (q === undefined || Number(q.slice(2)) > 0) return true
  }
  return false
}
