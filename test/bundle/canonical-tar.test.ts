// The canonical tar: deterministic bytes, a size known in advance, fields pinned to constants,
// read back by our own reader (readBundle) and by tar-stream alike.
import { createHash } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { Readable } from 'node:stream'
import tar, { type Header } from 'tar-stream'
import { describe, expect, it } from 'vitest'
import {
  type CanonicalFile,
  canonicalize,
  canonicalTar,
  canonicalTarSize,
  readBundle,
} from '../../src/bundle/index.js'
import { IntegrityError, RejectError } from '../../src/errors.js'
import { accept, readBack, tempDir } from './helpers/run.js'
import { dir, file, gz, symlink, tarOf, templateTar } from './helpers/tar.js'

const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex')
const canonical = (path: string, content: string, mode: 0o644 | 0o755 = 0o644): CanonicalFile => ({
  path,
  mode,
  size: Buffer.byteLength(content),
  sha256: sha(content),
  open: () => Readable.from([Buffer.from(content)]),
})
const bytesOf = async (files: CanonicalFile[]) => Buffer.concat(await canonicalTar(files).toArray())

async function headers(bytes: Buffer): Promise<Header[]> {
  const extract = tar.extract()
  const seen: Header[] = []
  extract.on('entry', (header, stream, next) => {
    seen.push(header)
    stream.on('end', () => next())
    stream.resume()
  })
  Readable.from([bytes]).pipe(extract)
  await new Promise<void>((resolve) => extract.on('finish', () => resolve()))
  return seen
}

// Path lengths around the ustar name limit and around the pax record's length digits.
const PATHS = [
  'a',
  'x'.repeat(100),
  'x'.repeat(101),
  `d/${'y'.repeat(98)}`,
  `d/${'y'.repeat(99)}`,
  'é',
  'prompts/naïve.md',
  `p/${'z'.repeat(88)}é`,
  `p/${'z'.repeat(89)}é`,
  `q/${'w'.repeat(1020)}`,
]

describe('canonicalTar', () => {
  it('has the size canonicalTarSize says, for every header form and padding', async () => {
    for (const path of PATHS) {
      for (const content of ['', 'x', 'y'.repeat(511), 'z'.repeat(512), 'w'.repeat(513)]) {
        const files = [canonical(path, content)]
        expect((await bytesOf(files)).length).toBe(canonicalTarSize(files))
      }
    }
    const all = PATHS.map((p) => canonical(p, p))
    expect((await bytesOf(all)).length).toBe(canonicalTarSize(all))
  })

  it('is the same bytes whatever order the files come in', async () => {
    const files = PATHS.map((p, i) => canonical(p, `content ${i}`, i % 2 ? 0o755 : 0o644))
    const reference = await bytesOf(files)
    expect(await bytesOf([...files].reverse())).toEqual(reference)
    expect(await bytesOf([...files.slice(3), ...files.slice(0, 3)])).toEqual(reference)
  })

  it('sorts by UTF-8 bytes, not UTF-16 code units', async () => {
    // U+E000 is EE 80 80 in UTF-8 and sorts before U+1F600 (F0 9F 98 80); in UTF-16 it is after.
    const files = [canonical('\u{1F600}', 'b'), canonical('\uE000', 'a'), canonical('Z', 'c')]
    expect((await headers(await bytesOf(files))).map((h) => h.name)).toEqual([
      'Z',
      '\uE000',
      '\u{1F600}',
    ])
  })

  it('pins every header field that could vary', async () => {
    const files = [canonical('run.sh', '#!/bin/sh\n', 0o755), canonical('x'.repeat(150), 'long')]
    for (const h of await headers(await bytesOf(files))) {
      expect(h).toMatchObject({ type: 'file', uid: 0, gid: 0, uname: '', gname: '' })
      expect(h.mtime?.getTime()).toBe(0)
    }
    const [run, long] = await headers(await bytesOf(files))
    expect(run?.mode).toBe(0o755)
    expect(long?.mode).toBe(0o644)
    expect(long?.name).toBe('x'.repeat(150))
  })

  it('has a pinned digest: the format must not drift between versions', async () => {
    const files = [
      canonical('config.yaml', 'name: demo\n'),
      canonical('agent-skills/x/run.sh', '#!/bin/sh\necho hi\n', 0o755),
      canonical(`prompts/${'long-'.repeat(30)}.md`, 'long\n'),
      canonical('prompts/café.md', 'accent\n'),
    ]
    expect(sha(await bytesOf(files))).toBe(GOLDEN)
  })

  it('verifies each body on the way out', async () => {
    const wrong = { ...canonical('a', 'abc'), open: () => Readable.from([Buffer.from('abd')]) }
    await expect(bytesOf([wrong])).rejects.toMatchObject({ code: 'EINTEGRITY' })
    const short = { ...canonical('a', 'abc'), open: () => Readable.from([Buffer.from('ab')]) }
    await expect(bytesOf([short])).rejects.toBeInstanceOf(IntegrityError)
    const { sha256: _, ...unhashed } = short
    await expect(bytesOf([unhashed])).rejects.toMatchObject({ code: 'EBADSIZE', found: 2 })
    const long = { ...canonical('a', 'abc'), open: () => Readable.from([Buffer.from('abcd')]) }
    await expect(bytesOf([long])).rejects.toMatchObject({ code: 'EBADSIZE' })
  })

  it('refuses duplicate paths and modes other than 0644/0755', () => {
    expect(() => canonicalTar([canonical('a', 'x'), canonical('a', 'y')])).toThrow(TypeError)
    expect(() => canonicalTar([{ ...canonical('a', 'x'), mode: 0o600 as 0o644 }])).toThrow(
      TypeError,
    )
  })
})

describe('CanonicalBundle', () => {
  it('cannot be streamed once disposed', async () => {
    const { bundle } = await accept(gz(templateTar([file('tpl/prompts/a.md', 'hello')])))
    // accept() disposed it: streaming now fails instead of serving a missing spool.
    expect(() => bundle.stream()).toThrow()
    await bundle.dispose() // idempotent
  })

  it('can be streamed more than once', async () => {
    const spoolDir = await tempDir()
    const bundle = await canonicalize(Readable.from([gz(templateTar([]))]), { spoolDir })
    const first = Buffer.concat(await bundle.stream().toArray())
    const second = Buffer.concat(await bundle.stream().toArray())
    expect(second).toEqual(first)
    expect(first.length).toBe(bundle.size)
    await bundle.dispose()
    await rm(spoolDir, { recursive: true })
  })
})

describe('readBundle', () => {
  it('reads back what canonicalTar wrote', async () => {
    const files = PATHS.map((p, i) => canonical(p, `body ${i}`, i % 3 ? 0o644 : 0o755))
    const back = await readBack(await bytesOf(files))
    expect(back.map((f) => f.path)).toEqual(
      PATHS.slice().sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
    )
    for (const f of back) {
      const original = files.find((o) => o.path === f.path)!
      expect(f.mode).toBe(original.mode)
      expect(f.sha256).toBe(original.sha256)
      expect(f.body.toString()).toBe(`body ${PATHS.indexOf(f.path)}`)
    }
  })

  const code = async (bytes: Buffer) => {
    const err = await readBundle(Readable.from([bytes]), { onFile: async () => {} }).catch(
      (e: unknown) => e,
    )
    return err instanceof RejectError ? err.code : err
  }
  it.each([
    ['a symlink', tarOf(symlink('prompts/a.md', '/etc/passwd')), 'LINK_IN_ALLOWED_PATH'],
    ['traversal', tarOf(file('../evil', 'x')), 'PATH_TRAVERSAL'],
    ['an absolute path', tarOf(file('/etc/cron.d/x', 'x')), 'PATH_ABSOLUTE'],
    ['an agent-owned path', tarOf(file('MEMORY.md', 'x')), 'AGENT_OWNED_PATH'],
    ['a non-portable name', tarOf(file('a:b', 'x')), 'PATH_NOT_PORTABLE'],
    ['data after the end', Buffer.concat([tarOf(file('a', 'x')), file('b', 'y')]), 'TRAILING_DATA'],
    ['no end marker', file('a', 'x'), 'TRUNCATED'],
  ])('refuses %s with the same rules', async (_, bytes, expected) => {
    expect(await code(bytes)).toBe(expected)
  })

  it('passes over directories and drains bodies the handler leaves', async () => {
    const bytes = tarOf(dir('prompts/'), file('prompts/a.md', 'x'.repeat(100_000)), file('b', 'y'))
    const seen: string[] = []
    const files = await readBundle(Readable.from([bytes]), {
      async onFile(f) {
        seen.push(f.path)
      },
    })
    expect(seen).toEqual(['prompts/a.md', 'b'])
    expect(files.map((f) => f.sha256)).toEqual([sha('x'.repeat(100_000)), sha('y')])
  })
})

// Checked by hand against GNU tar and Python's tarfile: names, 0755/0644, 0/0, mtime 0.
const GOLDEN = '0d818a598527dff25e74b82d38917ef24cfda9c8a4ac3c1ad263c8622e1a65c1'
