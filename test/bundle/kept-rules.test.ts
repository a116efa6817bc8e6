// Rules for kept files only (matched by the allowlist), and the end-of-archive content checks.
import { describe, expect, it } from 'vitest'
import {
  isReservedPath,
  STAGING_PREFIX,
  STATE_FILE,
  stateTempName,
} from '../../src/bundle/reserved.js'
import { accept, accepted, refused, rejection, skipped } from './helpers/run.js'
import { COMMIT, dir, file, gz, header, pax, symlink, tarOf, templateTar } from './helpers/tar.js'

const everything = { rules: { allow: ['**'], require: [] } }
/** Refused even with an allowlist that keeps every path: the code. */
const refusedKept = (entry: Buffer) => rejection(gz(templateTar([entry])), everything)

describe('links in allowed paths', () => {
  it('a symlink', async () => {
    expect(await refused(symlink('tpl/prompts/system.md', '/etc/shadow'))).toBe(
      'LINK_IN_ALLOWED_PATH',
    )
  })
  it('a hard link', async () => {
    const link = header({ name: 'tpl/prompts/a.md', typeflag: '1', linkname: 'tpl/Dockerfile' })
    expect(await refused(link)).toBe('LINK_IN_ALLOWED_PATH')
  })
  it('a symlink outside the allowlist is skipped, even one pointing into it', async () => {
    expect(await skipped(symlink('tpl/docs', 'prompts'))).toBe(1)
  })
})

describe('portability', () => {
  it.each([
    'tpl/prompts/a\\b.md',
    'tpl/prompts/c:d.md',
    'tpl/prompts/trailing.',
    'tpl/prompts/trailing ',
    'tpl/prompts/dir./a.md',
    'tpl/prompts/CON',
    'tpl/prompts/con.md',
    'tpl/prompts/Aux.tar.gz',
    'tpl/prompts/nul',
    'tpl/prompts/COM1.txt',
    'tpl/prompts/lpt9',
    'tpl/prompts/COM¹',
    'tpl/prompts/prn/a.md',
  ])('%s', async (name) => {
    expect(await refused(file(name, 'x'))).toBe('PATH_NOT_PORTABLE')
  })
  it('names that only look reserved are fine', async () => {
    const names = ['console.md', 'com10', 'lpt', 'auxiliary', 'a.b.c', 'nul-byte.md']
    const { bundle } = await accepted(...names.map((n) => file(`tpl/prompts/${n}`, 'x')))
    expect(bundle.files).toHaveLength(names.length + 1)
  })
  it('skipped files are not held to it', async () => {
    expect(await skipped(file('tpl/docs/a\\b:c ', 'x'), file('tpl/CON', 'x'))).toBe(2)
  })
})

describe('Unicode normal form', () => {
  it('a kept name in NFD', async () => {
    expect(await refused(file('tpl/prompts/cafe\u0301.md', 'x'))).toBe('PATH_NOT_NFC')
  })
  it('the same name in NFC is kept', async () => {
    const { bundle } = await accepted(pax([['path', 'tpl/prompts/caf\u00e9.md']]), file('x', 'x'))
    expect(bundle.files.map((f) => f.path)).toContain('prompts/café.md')
  })
  it('a skipped name in NFD is fine', async () => {
    await accepted(file('tpl/docs/cafe\u0301.md', 'x'))
  })
})

describe('collisions', () => {
  it('two kept paths equal after case folding', async () => {
    expect(
      await refused(file('tpl/prompts/Intro.md', 'a'), file('tpl/prompts/intro.md', 'b')),
    ).toBe('CASE_COLLISION')
  })
  it.each([
    ['final sigma and sigma', 'ς', 'σ'],
    ['sharp s and ss', 'ß', 'ss'],
    ['dotless i upper-cased', 'İ', 'i̇'],
  ])('folding beyond ASCII: %s', async (_, a, b) => {
    const named = (n: string) => [pax([['path', `tpl/prompts/${n}.md`]]), file('x', n)]
    expect(await refused(...named(a), ...named(b))).toBe('CASE_COLLISION')
  })
  it('with a directory differing in case', async () => {
    expect(await refused(file('tpl/prompts/A/x.md', 'a'), file('tpl/prompts/a/X.md', 'b'))).toBe(
      'CASE_COLLISION',
    )
  })
  it('a skipped path may differ only in case from a kept one', async () => {
    expect(await skipped(file('tpl/Config.yaml', 'x'))).toBe(1)
  })
  it('a file that is a prefix directory of another file', async () => {
    expect(await refused(file('tpl/prompts/a', 'x'), file('tpl/prompts/a/b.md', 'y'))).toBe(
      'PATH_CONFLICT',
    )
  })
  it('the same, in the other order and another case', async () => {
    expect(await refused(file('tpl/prompts/A/b.md', 'y'), file('tpl/prompts/a', 'x'))).toBe(
      'PATH_CONFLICT',
    )
  })
  it('directory entries are never kept, so a directory beside its files is fine', async () => {
    const { bundle } = await accepted(dir('tpl/prompts/'), file('tpl/prompts/a.md', 'x'))
    expect(bundle.files.map((f) => f.path)).toEqual(['config.yaml', 'prompts/a.md'])
  })
})

describe('agent-owned paths', () => {
  it.each([
    'tpl/MEMORY.md',
    'tpl/memory.md',
    'tpl/USER.md',
    'tpl/Claude.md',
    'tpl/.claude/sessions/today.json',
    'tpl/.CLAUDE/Sessions/x',
    'tpl/.claude/sessions',
    'tpl/.claude',
    'tpl/workspace/notes.md',
    'tpl/Workspace',
  ])('%s, even when the allowlist keeps it', async (name) => {
    expect(await refusedKept(file(name, 'x'))).toBe('AGENT_OWNED_PATH')
  })
  it('other paths under .claude, and agent-owned names deeper down, are fine', async () => {
    const tar = gz(
      templateTar([file('tpl/.claude/settings.json', 'x'), file('tpl/prompts/MEMORY.md', 'x')]),
    )
    const { bundle } = await accept(tar, everything)
    expect(bundle.files).toHaveLength(3)
  })
  it('skipped agent-owned paths are fine', async () => {
    expect(await skipped(file('tpl/MEMORY.md', 'x'))).toBe(1)
  })
})

describe("the provisioner client's own names", () => {
  it.each([
    'tpl/.asset-cache.json',
    'tpl/.Asset-Cache.JSON',
    'tpl/.aſſet-cache.json',
    'tpl/.asset-cache.json.0123abcd.tmp',
    'tpl/.asset-cache-staging-x/config.yaml',
    'tpl/.asset-cacherc',
  ])('%s, even when the allowlist keeps it: RESERVED_PATH', async (name) => {
    expect(await refusedKept(file(name, '{}'))).toBe('RESERVED_PATH')
  })
  it('deeper down, or skipped, they are names like any other', async () => {
    const tar = gz(
      templateTar([file('tpl/prompts/.asset-cache.json', 'x'), file('tpl/.asset-cache.json', 'x')]),
    )
    const { bundle } = await accept(tar)
    expect(bundle.files.map((f) => f.path)).toEqual(['config.yaml', 'prompts/.asset-cache.json'])
    expect(bundle.skipped).toBe(1)
  })
  it('are every name the client creates in DIR', () => {
    for (const name of [STATE_FILE, stateTempName('0123abcd'), `${STAGING_PREFIX}Xy12ab`]) {
      expect(isReservedPath(name), name).toBe(true)
    }
  })
})

describe('required files and config.yaml', () => {
  it('config.yaml missing', async () => {
    expect(await rejection(gz(templateTar([], { config: false })))).toBe('MISSING_REQUIRED_FILE')
  })
  it('config.yaml deeper down does not count', async () => {
    const tar = templateTar([file('tpl/prompts/config.yaml', 'a: 1\n')], { config: false })
    expect(await rejection(gz(tar))).toBe('MISSING_REQUIRED_FILE')
  })
  it('a configured requirement', async () => {
    const rules = { allow: ['config.yaml', 'prompts/**'], require: ['config.yaml', 'prompts/*.md'] }
    expect(await rejection(gz(templateTar([])), { rules })).toBe('MISSING_REQUIRED_FILE')
    await accept(gz(templateTar([file('tpl/prompts/a.md', 'x')])), { rules })
  })
  it('nothing required, nothing kept: an empty bundle', async () => {
    const { bundle, tar } = await accept(gz(templateTar([], { config: false })), {
      rules: { allow: [], require: [] },
    })
    expect(bundle.files).toEqual([])
    expect(tar).toEqual(Buffer.alloc(1024))
  })
  it.each([
    ['a list', '- a\n- b\n'],
    ['a scalar', 'just text\n'],
    ['an empty file', ''],
    ['a comment only', '# nothing\n'],
    ['invalid YAML', 'a: [1, 2\n'],
    ['duplicate keys', 'a: 1\na: 2\n'],
    ['two documents', 'a: 1\n---\nb: 2\n'],
    ['invalid UTF-8', Buffer.from([0x61, 0x3a, 0x20, 0xff, 0x0a])],
    [
      'an alias bomb',
      [
        'a: &a ["x","x","x","x","x","x","x","x","x"]',
        'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
        'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
        'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
        'e: [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
      ].join('\n'),
    ],
  ])('config.yaml that is %s', async (_, content) => {
    const tar = templateTar([file('tpl/config.yaml', content)], { config: false })
    expect(await rejection(gz(tar))).toBe('CONFIG_NOT_MAPPING')
  })
  it('a mapping with anchors, tags and unicode is fine', async () => {
    const content = 'base: &b {model: large}\nagent:\n  <<: *b\n  name: "Zoë"\nn: !!int 3\n'
    await accept(gz(templateTar([file('tpl/config.yaml', content)], { config: false })))
  })
})

describe('modes', () => {
  it.each([
    [0o100, 0o755],
    [0o010, 0o755],
    [0o001, 0o755],
    [0o744, 0o755],
    [0o664, 0o644],
    [0o4644, 0o644],
    [0o000, 0o644],
  ])('a header mode of %o is kept as %o', async (mode, kept) => {
    const { bundle } = await accepted(file('tpl/prompts/a.sh', 'x', { mode }))
    expect(bundle.files.find((f) => f.path === 'prompts/a.sh')?.mode).toBe(kept)
  })
})

describe('the commit', () => {
  it('is read from the global pax comment', async () => {
    const { bundle } = await accepted()
    expect(bundle.commit).toBe(COMMIT)
  })
  it('must equal the expected one', async () => {
    const tar = gz(templateTar([]))
    expect(await rejection(tar, { expectedCommit: 'f'.repeat(40) })).toBe('COMMIT_MISMATCH')
    await accept(tar, { expectedCommit: COMMIT })
  })
  it('is checked before any entry is read', async () => {
    const tar = gz(templateTar([file('tpl/../evil', 'x')]))
    expect(await rejection(tar, { expectedCommit: 'f'.repeat(40) })).toBe('COMMIT_MISMATCH')
  })
  it('a missing comment does not equal the expected one', async () => {
    const tar = gz(tarOf(dir('tpl/'), file('tpl/config.yaml', 'a: 1\n')))
    expect(await rejection(tar, { expectedCommit: COMMIT })).toBe('COMMIT_MISMATCH')
  })
})
