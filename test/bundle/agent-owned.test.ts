// Agent-owned paths by construction, and the characters a name may hold: no name that means an
// agent-owned path gets past the validator, however it is spelled.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  checkPath,
  hasOnlyKeptNameCharacters,
  isAgentOwned,
  printableName,
} from '../../src/bundle/index.js'
import { RejectError } from '../../src/errors.js'
import {
  foldedVariants,
  insertion,
  isVisible,
  OWNED_PATHS,
  subtreeStart,
} from './helpers/agent-owned.js'
import { accept, rejection } from './helpers/run.js'
import { file, gz, pax, templateTar } from './helpers/tar.js'

const everything = { rules: { allow: ['**/*'], require: [] } }
/** The archive of one kept file named `path` (a pax path: any UTF-8 fits). */
const archiveOf = (path: string) =>
  gz(templateTar([pax([['path', `tpl/${path}`]]), file('tpl/placeholder', 'x')]))
const refusedOrOwned = (path: string) => isAgentOwned(path) || checkPath(path) !== null

/** The reject code of the archive holding `path` as a kept file, or null when it is accepted. */
async function outcome(path: string): Promise<string | null> {
  try {
    await accept(archiveOf(path), everything)
    return null
  } catch (err) {
    if (err instanceof RejectError) return err.code
    throw err
  }
}

describe('the names that once got through', () => {
  it.each([
    ['a line separator under workspace/', 'workspace/notes\u2028.md', 'PATH_BAD_CHARACTER'],
    [
      'a paragraph separator under .claude/sessions/',
      '.claude/sessions/s\u2029.json',
      'PATH_BAD_CHARACTER',
    ],
    ['a newline under workspace/', 'workspace/a\nb', 'PATH_BAD_CHARACTER'],
    ['a carriage return under workspace/', 'workspace/a\rb', 'PATH_BAD_CHARACTER'],
    ['a next-line under workspace/', 'workspace/a\u0085b', 'PATH_BAD_CHARACTER'],
    ['a long s in USER.md', 'uſer.md', 'AGENT_OWNED_PATH'],
    ['a long s in workspace', 'workſpace/x.md', 'AGENT_OWNED_PATH'],
    ['a dotless i in sessions', '.claude/sessıons/x', 'AGENT_OWNED_PATH'],
    ['a sharp s for ss in sessions', '.claude/seßions/x', 'AGENT_OWNED_PATH'],
  ])('%s is refused at ingest, even when the allowlist keeps everything', async (_, path, code) => {
    expect(await rejection(archiveOf(path), everything)).toBe(code)
  })

  it('every name a file system would read as agent-owned is classified so', () => {
    for (const path of ['workspace/notes\u2028.md', '.claude/sessions/s\u2029.json', 'uſer.md']) {
      expect(isAgentOwned(path), JSON.stringify(path)).toBe(true)
    }
    for (const path of ['WORKSPACE', '.CLAUDE', '.claude/Sessions', 'Memory.MD', 'workſpace/a/b']) {
      expect(isAgentOwned(path), path).toBe(true)
    }
    for (const path of [
      'workspaces/x',
      'prompts/workspace/x',
      '.claude/settings.json',
      'USER.md.bak',
    ]) {
      expect(isAgentOwned(path), path).toBe(false)
    }
  })
})

describe('characters of a name, decided by Unicode property', () => {
  it.each([
    ['soft hyphen (Cf, default-ignorable)', '\u00ad'],
    ['combining grapheme joiner (Mn, default-ignorable)', '\u034f'],
    ['Mongolian vowel separator', '\u180e'],
    ['Hangul filler (Lo, default-ignorable)', '\u3164'],
    ['variation selector 16', '\ufe0f'],
    ['line separator', '\u2028'],
    ['paragraph separator', '\u2029'],
    ['interlinear annotation anchor', '\ufff9'],
    ['language tag', '\u{e0001}'],
    ['a noncharacter in the BMP', '\ufdd0'],
    ['the noncharacter U+FFFE', '\ufffe'],
    ['a noncharacter past the BMP', '\u{1fffe}'],
  ])('%s: refused in every entry name, kept or skipped', async (_, c) => {
    for (const where of ['prompts', 'docs']) {
      expect(await rejection(archiveOf(`${where}/a${c}b.md`)), where).toBe('PATH_BAD_CHARACTER')
    }
  })

  it.each([
    ['private use', '\ue000'],
    ['supplementary private use', '\u{f0000}'],
    ['unassigned', '\u0378'],
    ['unassigned past the BMP', '\u{2fffd}'],
  ])('%s: refused in a kept name, allowed in a skipped one', async (_, c) => {
    expect(await rejection(archiveOf(`prompts/a${c}b.md`))).toBe('PATH_BAD_CHARACTER')
    const { bundle } = await accept(archiveOf(`docs/a${c}b.md`))
    expect(bundle.skipped).toBe(1)
  })

  it('letters, marks, numbers, symbols and spaces of any script are fine', async () => {
    const names = [
      'prompts/日本語.md',
      'prompts/Ελληνικά 2.md',
      'prompts/emoji-🙂.md',
      'prompts/ñ.md',
    ]
    for (const name of names) {
      const { bundle } = await accept(archiveOf(name))
      expect(bundle.files.map((f) => f.path)).toContain(name)
    }
  })

  it('every code point (all 1 114 112) is refused in a kept name or is a visible character', () => {
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (hasOnlyKeptNameCharacters(String.fromCodePoint(cp)) && !isVisible(cp)) {
        expect.fail(`U+${cp.toString(16).toUpperCase()} may be kept but is not visible`)
      }
    }
  })
})

describe('near-misses of agent-owned paths', () => {
  it('any code point (all 1 114 112) inserted under an owned directory: refused or owned', () => {
    for (const owned of OWNED_PATHS.filter((p) => Number.isFinite(subtreeStart(p)))) {
      const at = Math.floor((subtreeStart(owned) + owned.length) / 2)
      const step = owned === 'workspace/notes.md' ? 1 : 13
      for (let cp = 0; cp <= 0x10ffff; cp += step) {
        const path = owned.slice(0, at) + String.fromCodePoint(cp) + owned.slice(at)
        if (!refusedOrOwned(path)) expect.fail(`${JSON.stringify(path)} is neither`)
      }
    }
  })

  it('property: any code point inserted anywhere is refused or owned, unless visible in the name', () => {
    fc.assert(
      fc.property(insertion(), ({ path, mustRefuse }) => {
        if (mustRefuse) expect(refusedOrOwned(path), JSON.stringify(path)).toBe(true)
      }),
      { numRuns: 20_000 },
    )
  })

  it('a character swapped for any code point that case-folds to it: owned or refused', () => {
    const variants = foldedVariants()
    // ASCII case, and the non-ASCII letters that fold into ASCII: ſ, K (Kelvin), ı, ß...
    expect(variants.map((v) => v.path)).toEqual(
      expect.arrayContaining(['UſER.md', 'workſpace/notes.md', '.claude/seßions/s.json']),
    )
    for (const v of variants) expect(refusedOrOwned(v.path), JSON.stringify(v.path)).toBe(true)
  })

  it('property: through the archive reader, a near-miss that names an owned path is refused', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(insertion({ utf8: true }), fc.constantFrom(...foldedVariants())),
        async ({ path, mustRefuse }) => {
          const code = await outcome(path)
          if (mustRefuse) expect(code, JSON.stringify(path)).not.toBeNull()
          // The archive reader and the path rules the client uses agree.
          expect(code !== null).toBe(refusedOrOwned(path))
        },
      ),
      { numRuns: 250 },
    )
  })
})

describe('printableName', () => {
  it('writes every refused character and the backslash as an escape, and nothing else', () => {
    expect(printableName('workspace/a\u2028b\u202e.md\\x')).toBe(
      'workspace/a\\u{2028}b\\u{202E}.md\\u{5C}x',
    )
    expect(printableName('prompts/日本語 🙂.md')).toBe('prompts/日本語 🙂.md')
    expect(printableName('\u001b[31m\u009b')).toBe('\\u{1B}[31m\\u{9B}')
  })
})
