// Text from outside (headers, payload fields) stored or logged at a bounded size: cut on a code
// point boundary, so what is kept is always well-formed UTF-8, and marked as cut.

const MARK = '…'
const MARK_BYTES = 3

/**
 * `text` as well-formed text of at most `maxBytes` UTF-8 bytes: lone surrogates become U+FFFD,
 * and a longer text is cut before the code point that would cross the limit and ends in `…`.
 * Applying it twice gives the same result as once.
 */
export function cappedText(text: string, maxBytes: number): string {
  // At most 3 UTF-8 bytes per UTF-16 unit: short texts skip the encoding.
  if (text.length * 3 <= maxBytes && isWellFormed(text)) return text
  const bytes = Buffer.from(text, 'utf8') // lone surrogates are encoded as U+FFFD
  if (bytes.length <= maxBytes) return bytes.toString('utf8')
  if (maxBytes < MARK_BYTES) return ''
  let end = maxBytes - MARK_BYTES
  // bytes[end] is the first byte left out: step back off the continuation bytes (10xxxxxx) of a
  // code point that would be cut, to its lead byte.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--
  return bytes.subarray(0, end).toString('utf8') + MARK
}

const LONE_SURROGATE = /\p{Surrogate}/u

function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text)
}
