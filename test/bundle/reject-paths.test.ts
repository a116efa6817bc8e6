// Path rules for every entry, kept or skipped: each refuses the whole archive with its code.
import { describe, expect, it } from 'vitest'
import { accept, accepted, refused, rejection, skipped } from './helpers/run.js'
import { COMMIT, dir, file, gz, longName, pax, symlink, tarOf, templateTar } from './helpers/tar.js'

describe('traversal', () => {
  it('in a ustar name', async () => {
    expect(await refused(file('tpl/../evil', 'x'))).toBe('PATH_TRAVERSAL')
  })
  it('in a ustar prefix', async () => {
    expect(await refused(file('evil', 'x', { prefix: 'tpl/prompts/..' }))).toBe('PATH_TRAVERSAL')
  })
  it('in a pax path', async () => {
    const entries = [pax([['path', 'tpl/prompts/../../etc/passwd']]), file('tpl/prompts/a.md', 'x')]
    expect(await refused(...entries)).toBe('PATH_TRAVERSAL')
  })
  it('in a GNU long name', async () => {
    const entries = [
      longName('tpl/prompts/../../x'),
      file('tpl/prompts/a.md', 'x', { magic: 'gnu' }),
    ]
    expect(await refused(...entries)).toBe('PATH_TRAVERSAL')
  })
  it('as the whole top-level directory', async () => {
    expect(await rejection(gz(templateTar([], { root: '..' })))).toBe('PATH_TRAVERSAL')
  })
})

describe('the ustar name a pax path or GNU long name replaces', () => {
  // A reader that ignores pax or GNU records extracts the entry under its ustar name: every name
  // an entry carries is held to the entry rules, not only the one this reader uses.
  const underPax = (ustar: Buffer | string, spec = {}) => [
    pax([['path', 'tpl/prompts/a.md']]),
    file(ustar, 'x', spec),
  ]
  const underLongName = (ustar: Buffer | string) => [
    longName('tpl/prompts/a.md'),
    file(ustar, 'x', { magic: 'gnu' }),
  ]
  it.each([
    ['traversal under a pax path', underPax('tpl/../../evil'), 'PATH_TRAVERSAL'],
    [
      'traversal in the prefix under a pax path',
      underPax('x', { prefix: 'tpl/..' }),
      'PATH_TRAVERSAL',
    ],
    ['traversal under a GNU long name', underLongName('../../etc/cron.d/x'), 'PATH_TRAVERSAL'],
    ['an absolute name under a pax path', underPax('/etc/passwd'), 'PATH_ABSOLUTE'],
    [
      'an absolute name under a GNU long name',
      underLongName('/root/.ssh/authorized_keys'),
      'PATH_ABSOLUTE',
    ],
    ['an empty segment under a GNU long name', underLongName('tpl//x'), 'PATH_NOT_CANONICAL'],
    ['a .git segment under a pax path', underPax('tpl/.git/hooks/post-checkout'), 'GIT_METADATA'],
    ['a control character under a pax path', underPax('tpl/a\u001b[2Jb'), 'PATH_BAD_CHARACTER'],
    ['a line separator under a GNU long name', underLongName('tpl/a\u2028b'), 'PATH_BAD_CHARACTER'],
    [
      'invalid UTF-8 under a pax path',
      underPax(Buffer.from([0x74, 0x2f, 0xff])),
      'PATH_INVALID_UTF8',
    ],
  ])('%s', async (_, entries, code) => {
    expect(await refused(...entries)).toBe(code)
  })
  it('a directory whose ustar name climbs out, under a pax path', async () => {
    expect(await refused(pax([['path', 'tpl/prompts/']]), dir('tpl/../'))).toBe('PATH_TRAVERSAL')
  })
  it("git archive's own `<blob sha>.data` under a long pax path is accepted", async () => {
    const long = `tpl/prompts/${'n'.repeat(120)}.md`
    const { bundle } = await accepted(pax([['path', long]]), file(`${'a'.repeat(40)}.data`, 'x'))
    expect(bundle.files.map((f) => f.path)).toContain(long.slice(4))
  })
  it('a ustar name that only differs from the pax path is fine', async () => {
    await accepted(...underPax('PaxHeader'))
    await accepted(...underLongName('tpl/prompts/a-truncated'))
  })
})

describe('absolute and non-canonical names', () => {
  it.each(['/etc/passwd', '//server/share', '/tpl/prompts/a.md'])(
    '%s is absolute',
    async (name) => {
      expect(await refused(file(name, 'x'))).toBe('PATH_ABSOLUTE')
    },
  )
  it.each(['tpl/./prompts/a.md', 'tpl//prompts/a.md', 'tpl/prompts/.', 'tpl/prompts/a.md/'])(
    '%s is not canonical',
    async (name) => {
      expect(await refused(file(name, 'x'))).toBe('PATH_NOT_CANONICAL')
    },
  )
  it('allows exactly one trailing slash on a directory', async () => {
    await accepted(dir('tpl/prompts/'), file('tpl/prompts/a.md', 'x'))
    expect(await refused(dir('tpl/prompts//'))).toBe('PATH_NOT_CANONICAL')
  })
  it('refuses an empty pax path rather than falling back to the ustar name', async () => {
    expect(await refused(pax([['path', '']]), file('tpl/prompts/a.md', 'x'))).toBe(
      'PATH_NOT_CANONICAL',
    )
  })
})

describe('characters', () => {
  it.each([
    ['NUL in a pax path', 'tpl/Docker\u0000file'],
    ['C0 control', 'tpl/a\u0001b'],
    ['DEL', 'tpl/a\u007fb'],
    ['C1 control', 'tpl/a\u0085b'],
    ['bidi override', 'tpl/txt.\u202eexe'],
    ['bidi isolate', 'tpl/a\u2067b'],
    ['Arabic letter mark', 'tpl/a\u061cb'],
    ['left-to-right mark', 'tpl/a\u200eb'],
    ['zero-width space', 'tpl/con\u200bfig.yaml'],
    ['zero-width joiner', 'tpl/a\u200db'],
    ['word joiner', 'tpl/a\u2060b'],
    ['byte order mark', 'tpl/\ufeffconfig.yaml'],
  ])('%s', async (_, name) => {
    expect(await refused(pax([['path', name]]), file('tpl/placeholder', 'x'))).toBe(
      'PATH_BAD_CHARACTER',
    )
  })
  it('a NUL inside the ustar name field, hiding bytes after it', async () => {
    const name = Buffer.concat([Buffer.from('tpl/a'), Buffer.from([0]), Buffer.from('hidden')])
    expect(await refused(file(name, 'x'))).toBe('PATH_BAD_CHARACTER')
  })
  it('a NUL inside a GNU long name', async () => {
    const name = Buffer.from('tpl/prompts/a.md\u0000.sh')
    expect(await refused(longName(name), file('x', 'x', { magic: 'gnu' }))).toBe(
      'PATH_BAD_CHARACTER',
    )
  })
})

describe('invalid UTF-8', () => {
  it.each([
    ['a lone 0xff', [0xff]],
    ['an overlong slash', [0xc0, 0xaf]],
    ['a truncated sequence', [0xe2, 0x82]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
  ])('%s in a ustar name', async (_, bad) => {
    const name = Buffer.concat([Buffer.from('tpl/prompts/'), Buffer.from(bad)])
    expect(await refused(file(name, 'x'))).toBe('PATH_INVALID_UTF8')
  })
  it('in a pax path', async () => {
    const path = Buffer.concat([Buffer.from('tpl/prompts/'), Buffer.from([0xfe, 0x41])])
    expect(await refused(pax([['path', path]]), file('tpl/prompts/a.md', 'x'))).toBe(
      'PATH_INVALID_UTF8',
    )
  })
})

describe('the single top-level directory', () => {
  it.each(['other/prompts/a.md', 'TPL/prompts/a.md', 'tplx/config.yaml'])(
    '%s is outside it',
    async (name) => {
      expect(await refused(file(name, 'x'))).toBe('PATH_OUTSIDE_ROOT')
    },
  )
  it('a file at the top level means the archive has no prefix (PREFIX_ARCHIVE_FILES=false)', async () => {
    expect(await refused(file('README', 'x'))).toBe('ARCHIVE_PREFIX_MISMATCH')
  })
  it.each([
    ['a file', file('tpl', 'x'), 'ARCHIVE_PREFIX_MISMATCH'],
    ['a symlink', symlink('tpl', '/'), 'PATH_OUTSIDE_ROOT'],
  ])('%s named like the top-level directory is refused', async (_, entry, code) => {
    const tar = tarOf(pax([['comment', COMMIT]], 'g'), entry, file('tpl/config.yaml', 'a: 1\n'))
    expect(await rejection(gz(tar))).toBe(code)
  })
  it('the first entry fixes it', async () => {
    const tar = templateTar([], { root: 'agent-template-seo' })
    const { bundle } = await accept(gz(tar))
    expect(bundle.files.map((f) => f.path)).toEqual(['config.yaml'])
  })
})

describe('.git', () => {
  it.each(['tpl/.git/config', 'tpl/prompts/.GIT/hooks/x', 'tpl/.Git', 'tpl/.gıt/config'])(
    '%s, skipped or not, refuses the archive',
    async (name) => {
      expect(await refused(file(name, 'x'))).toBe('GIT_METADATA')
    },
  )
  it('as a directory', async () => {
    expect(await refused(dir('tpl/.git/'))).toBe('GIT_METADATA')
  })
  it('but .gitignore and .github are names like any other', async () => {
    expect(await skipped(file('tpl/.gitignore', 'x'), dir('tpl/.github/'))).toBe(1)
  })
})

describe('duplicates', () => {
  it('the same skipped file twice', async () => {
    expect(await refused(file('tpl/Dockerfile', 'a'), file('tpl/Dockerfile', 'b'))).toBe(
      'DUPLICATE_PATH',
    )
  })
  it('the same kept file twice (the second would win in a naive extractor)', async () => {
    expect(await refused(file('tpl/config.yaml', 'evil: 1\n'))).toBe('DUPLICATE_PATH')
  })
  it('a file and a directory of the same name', async () => {
    expect(await refused(file('tpl/docs', 'x'), dir('tpl/docs/'))).toBe('DUPLICATE_PATH')
  })
  it('the top-level directory twice', async () => {
    expect(await refused(dir('tpl/'))).toBe('DUPLICATE_PATH')
  })
  it('a symlink over a file', async () => {
    expect(await refused(file('tpl/docs', 'x'), symlink('tpl/docs', '/etc'))).toBe('DUPLICATE_PATH')
  })
})

describe('length and depth, counted after the top-level directory is stripped', () => {
  const long = (bytes: number) => `docs/${'a'.repeat(bytes - 5)}`
  it('1024 bytes pass, 1025 do not', async () => {
    await accepted(pax([['path', `tpl/${long(1024)}`]]), file('x', 'x'))
    expect(await refused(pax([['path', `tpl/${long(1025)}`]]), file('x', 'x'))).toBe(
      'PATH_TOO_LONG',
    )
  })
  it('counts bytes, not characters', async () => {
    const path = `tpl/docs/${'é'.repeat(510)}` // 5 + 1020 bytes
    expect(await refused(pax([['path', path]]), file('x', 'x'))).toBe('PATH_TOO_LONG')
  })
  it('32 segments pass, 33 do not', async () => {
    const deep = (n: number) => `tpl/${Array.from({ length: n }, () => 'd').join('/')}`
    await accepted(file(deep(32), 'x', { prefix: '' }), file(`${deep(31)}x`, 'x'))
    expect(await refused(pax([['path', deep(33)]]), file('x', 'x'))).toBe('PATH_TOO_DEEP')
  })
  it('a GNU long name over 64 KiB is refused before it is buffered', async () => {
    expect(await refused(longName('tpl/'.padEnd(70_000, 'a')), file('x', 'x'))).toBe(
      'PATH_TOO_LONG',
    )
  })
  it('applies the configured limits', async () => {
    const tar = gz(templateTar([file('tpl/docs/abcdef', 'x')]))
    expect(await rejection(tar, { limits: { maxPathBytes: 10 } })).toBe('PATH_TOO_LONG')
    expect(await rejection(tar, { limits: { maxPathSegments: 1 } })).toBe('PATH_TOO_DEEP')
  })
})
