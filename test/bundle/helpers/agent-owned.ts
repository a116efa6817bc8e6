// Near-misses of agent-owned paths, for the validator's and the client's property tests: a code
// point inserted anywhere, or a character swapped for one that case-folds to the same.
import fc from 'fast-check'
import { foldCase } from '../../../src/bundle/index.js'

/** One concrete path for each agent-owned entry (`dir/**` with a file under it). */
export const OWNED_PATHS = [
  'MEMORY.md',
  'USER.md',
  'CLAUDE.md',
  '.claude/sessions/s.json',
  'workspace/notes.md',
] as const

/** Where the owned directory ends in a path under it (`workspace/|notes.md`); Infinity for a file. */
export function subtreeStart(owned: string): number {
  for (const dir of ['.claude/sessions/', 'workspace/'])
    if (owned.startsWith(dir)) return dir.length
  return Number.POSITIVE_INFINITY
}

/**
 * A character a reader sees: a letter, mark, number, punctuation, symbol or plain space that is not
 * default-ignorable. One of them inserted into an owned name makes another name (`workxspace`,
 * `work/space`); anything else (controls, format characters, separators, private-use, unassigned,
 * noncharacters, default-ignorables) must not.
 */
export function isVisible(codePoint: number): boolean {
  const c = String.fromCodePoint(codePoint)
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}]$/u.test(c) && !/\p{DI}/u.test(c)
}

/** The code points that once slipped through, and their neighbours in each category. */
export const NOTABLE = [
  0x00, 0x09, 0x0a, 0x0d, 0x1b, 0x7f, 0x85, 0x9b, 0xa0, 0xad, 0x17f, 0x131, 0x34f, 0x61c, 0x115f,
  0x180e, 0x200b, 0x200d, 0x200e, 0x2028, 0x2029, 0x202e, 0x2060, 0x2066, 0x2069, 0x212a, 0x3000,
  0x3164, 0xe000, 0xf8ff, 0xfdd0, 0xfdef, 0xfe0f, 0xfeff, 0xfff9, 0xfffe, 0xffff, 0x1d173, 0x1fffe,
  0xe0001, 0xe007f, 0xe01ef, 0xf0000, 0x10fffd, 0x10ffff, 0x0378, 0x2fffe,
]

/**
 * Any code point, with the interesting ones more often. `utf8: true` leaves out surrogates, which
 * UTF-8 (a tar name) cannot carry.
 */
export function codePoint({ utf8 = false } = {}): fc.Arbitrary<number> {
  const any = fc.integer({ min: 0, max: 0x10ffff })
  const cp = fc.oneof(any, fc.integer({ min: 0, max: 0x3100 }), fc.constantFrom(...NOTABLE))
  return utf8 ? cp.filter((c) => c < 0xd800 || c > 0xdfff) : cp
}

export interface NearMiss {
  owned: string
  path: string
  /** True when the path must be refused (or be agent-owned): it names what the agent owns. */
  mustRefuse: boolean
}

/** `owned` with `codePoint` inserted at `at` (taken modulo the possible positions). */
export function inserted(owned: string, at: number, codePoint: number): NearMiss {
  const i = at % (owned.length + 1)
  const path = owned.slice(0, i) + String.fromCodePoint(codePoint) + owned.slice(i)
  return { owned, path, mustRefuse: i >= subtreeStart(owned) || !isVisible(codePoint) }
}

export const insertion = (options: { utf8?: boolean } = {}) =>
  fc
    .tuple(fc.constantFrom(...OWNED_PATHS), fc.nat(), codePoint(options))
    .map(([owned, at, cp]) => inserted(owned, at, cp))

/**
 * Every way to write an owned path with one of its characters (or pairs, `ss` → `ß`) replaced by
 * another code point that case-folds to the same text, found by folding every code point.
 */
export function foldedVariants(): NearMiss[] {
  const out: NearMiss[] = []
  for (let cp = 0; cp <= 0x10ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue
    const c = String.fromCodePoint(cp)
    const folded = foldCase(c)
    if (!/^[\x21-\x7e]{1,3}$/.test(folded) || c === folded) continue
    for (const owned of OWNED_PATHS) {
      const key = foldCase(owned)
      for (let at = key.indexOf(folded); at !== -1; at = key.indexOf(folded, at + 1)) {
        // foldCase keeps ASCII lengths, so positions in `key` are positions in `owned`.
        const path = owned.slice(0, at) + c + owned.slice(at + folded.length)
        out.push({ owned, path, mustRefuse: true })
      }
    }
  }
  return out
}
