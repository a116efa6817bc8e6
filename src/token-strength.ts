// How strong a secret looks, for refusing an admin token a person typed or left as a placeholder
// (`short`, `REPLACE_WITH_ADMIN_TOKEN`). An estimate from the text alone, by construction:
//   bits = effective length × log2(size of the character classes it uses)
// with classes lowercase (26), uppercase (26), digits (10) and anything else (33, printable ASCII
// punctuation and space). The effective length counts a run of one character at most twice and a
// text made of one repeated unit (`abcabcabc`) as that unit once. `openssl rand -hex 32` scores
// 330 bits, `-hex 16` 165, `-base64 16` 157. Also refused: placeholder words, whitespace (a
// passphrase), and fewer than 8 different characters.

export const MIN_TOKEN_BITS = 128

/** Words that mark a placeholder or a human choice, compared after folding case and dropping
 * everything but letters and digits (`change_me`, `Change-Me` → `changeme`). */
const PLACEHOLDER_WORDS = [
  'replace',
  'changeme',
  'example',
  'token',
  'secret',
  'password',
  'placeholder',
]

/** Fewer different characters than this is a pattern, not a random secret. */
const MIN_DISTINCT = 8

function classBits(text: string): number {
  let size = 0
  if (/[a-z]/.test(text)) size += 26
  if (/[A-Z]/.test(text)) size += 26
  if (/[0-9]/.test(text)) size += 10
  if (/[^a-zA-Z0-9]/.test(text)) size += 33
  return Math.log2(Math.max(size, 1))
}

/** Length with runs capped at two and a repeated unit counted once. */
function effectiveLength(text: string): number {
  const chars = [...text]
  const unit = /^(.+?)\1+$/su.exec(text)?.[1]
  const base = unit === undefined ? chars : [...unit]
  let n = 0
  let run = 0
  for (let i = 0; i < base.length; i++) {
    run = i > 0 && base[i] === base[i - 1] ? run + 1 : 1
    if (run <= 2) n++
  }
  return n
}

export function estimatedBits(text: string): number {
  return Math.floor(effectiveLength(text) * classBits(text))
}

/**
 * Why `token` is too weak to guard admin, or null when it is fine. The reason never quotes the
 * token or any part of it.
 */
export function tokenWeakness(token: string): string | null {
  const folded = token.toLowerCase().replace(/[^a-z0-9]/g, '')
  if (PLACEHOLDER_WORDS.some((w) => folded.includes(w))) {
    return 'looks like a placeholder or a chosen word, not a random secret'
  }
  if (/\s/u.test(token)) return 'contains whitespace: a phrase, not a random secret'
  const bits = estimatedBits(token)
  if (bits < MIN_TOKEN_BITS) {
    return `too weak: about ${bits} bits of apparent strength, at least ${MIN_TOKEN_BITS} needed`
  }
  if (new Set(token).size < MIN_DISTINCT) {
    return `uses fewer than ${MIN_DISTINCT} different characters: a pattern, not a random secret`
  }
  return null
}
