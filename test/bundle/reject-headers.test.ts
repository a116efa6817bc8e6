// Raw header rules: entry types and sizes, pax records, the global header, checksums and numbers,
// the end marker — and the cross-check between the block auditor and tar-stream.
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import tar from 'tar-stream'
import { describe, expect, it } from 'vitest'
import { TarAuditor } from '../../src/bundle/audit.js'
import { handleEntries } from '../../src/bundle/entries.js'
import type { AuditedEntry } from '../../src/bundle/entry-rules.js'
import { Failure } from '../../src/bundle/failure.js'
import { DEFAULT_LIMITS } from '../../src/bundle/index.js'
import { RejectError } from '../../src/errors.js'
import { accept, accepted, refused, rejection, skipped } from './helpers/run.js'
import {
  BLOCK,
  COMMIT,
  dir,
  END,
  file,
  gz,
  header,
  longName,
  pax,
  paxRecords,
  symlink,
  tarOf,
  templateTar,
} from './helpers/tar.js'

describe('entry types', () => {
  it.each([
    ['hard link', '1'],
    ['character device', '3'],
    ['block device', '4'],
    ['FIFO', '6'],
    ['contiguous file', '7'],
    ['GNU sparse file', 'S'],
    ['GNU volume header', 'V'],
    ['old GNU long name', 'N'],
    ['GNU dump directory', 'D'],
    ['unknown typeflag', 'Z'],
    ['unknown typeflag byte', 0xff],
  ])('a %s outside the allowlist is forbidden', async (_, typeflag) => {
    const entry = header({ name: 'tpl/docs/thing', typeflag, linkname: 'tpl/Dockerfile' })
    expect(await refused(entry)).toBe('ENTRY_TYPE_FORBIDDEN')
  })
  it('a regular file may use typeflag NUL (pre-POSIX)', async () => {
    const { bundle } = await accepted(file('tpl/prompts/a.md', 'x', { typeflag: 0 }))
    expect(bundle.files.map((f) => f.path)).toEqual(['config.yaml', 'prompts/a.md'])
  })
})

describe('entry sizes', () => {
  it('a directory with a size', async () => {
    const body = tarOf(header({ name: 'tpl/prompts/a.md', size: 5 })) // hidden in its "data"
    expect(await refused(dir('tpl/docs/', { size: BLOCK }), body.subarray(0, BLOCK))).toBe(
      'ENTRY_SIZE_INVALID',
    )
  })
  it('a symlink with a size', async () => {
    const link = header({ name: 'tpl/lnk', typeflag: '2', linkname: 'x', size: 3 })
    expect(await refused(link, Buffer.alloc(BLOCK))).toBe('ENTRY_SIZE_INVALID')
  })
})

describe('pax extended headers', () => {
  it.each([
    'SCHILY.xattr.security.capability',
    'LIBARCHIVE.xattr.user.x',
    'GNU.sparse.map',
    'charset',
    'hdrcharset',
    'comment',
    'linkpath2',
  ])('key %s is forbidden', async (key) => {
    expect(await refused(pax([[key, '1']]), file('tpl/Dockerfile', 'x'))).toBe('PAX_KEY_FORBIDDEN')
  })
  it('the plain keys are fine', async () => {
    const records: [string, string][] = [
      ['path', 'tpl/prompts/a.md'],
      ['size', '1'],
      ['mtime', '1700000000.5'],
      ['atime', '1700000000'],
      ['ctime', '1700000000'],
      ['uid', '1000'],
      ['gid', '1000'],
      ['uname', 'alice'],
      ['gname', 'staff'],
    ]
    const { bundle } = await accepted(pax(records), file('ignored', 'x'))
    expect(bundle.files.map((f) => f.path)).toEqual(['config.yaml', 'prompts/a.md'])
  })
  it.each(['12abc', '0x1', '-1', ' 1', '1 ', '1e3', '', '1.0', '9999999999999999'])(
    'size %j is not plain decimal',
    async (size) => {
      expect(await refused(pax([['size', size]]), file('tpl/Dockerfile', 'x'))).toBe(
        'PAX_SIZE_INVALID',
      )
    },
  )
  it('a size that disagrees with the ustar size', async () => {
    // tar-stream would believe the pax size and read the next header as data.
    expect(await refused(pax([['size', '0']]), file('tpl/Dockerfile', 'x'))).toBe(
      'PAX_SIZE_INVALID',
    )
  })
  it.each([
    ['a length that is not decimal', Buffer.from('1a path=x\n')],
    ['a length past the body', Buffer.from('99 path=x\n')],
    ['a record without a newline', Buffer.from('9 path=xy')],
    ['a record without a key', Buffer.from('5 =x\n')],
    ['a leading zero in the length', Buffer.from('011 path=x\n')],
    ['trailing bytes', Buffer.concat([paxRecords([['uid', '1']]), Buffer.from('\0\0')])],
    [
      'a repeated key',
      paxRecords([
        ['path', 'tpl/a'],
        ['path', 'tpl/prompts/b'],
      ]),
    ],
  ])('%s is corrupt', async (_, body) => {
    expect(await refused(pax(body), file('tpl/Dockerfile', 'x'))).toBe('TAR_CORRUPT')
  })
  it('two pax headers for one entry', async () => {
    const entries = [pax([['uid', '1']]), pax([['gid', '1']]), file('tpl/Dockerfile', 'x')]
    expect(await refused(...entries)).toBe('TAR_CORRUPT')
  })
  it('both a pax path and a GNU long name', async () => {
    const entries = [longName('tpl/a'), pax([['path', 'tpl/b']]), file('tpl/c', 'x')]
    expect(await refused(...entries)).toBe('TAR_CORRUPT')
  })
  it('an extended header with no entry after it', async () => {
    expect(await refused(pax([['uid', '1']]))).toBe('TAR_CORRUPT')
  })
  it('an extended header over 64 KiB', async () => {
    expect(await refused(pax([['uname', 'u'.repeat(70_000)]]), file('tpl/x', 'x'))).toBe(
      'TAR_CORRUPT',
    )
  })
})

describe('the global pax header', () => {
  it.each(['path', 'mtime', 'uid', 'GNU.sparse.size', 'charset'])(
    'key %s besides comment is forbidden',
    async (key) => {
      const tar = tarOf(
        pax(
          [
            ['comment', COMMIT],
            [key, 'x'],
          ],
          'g',
        ),
        dir('tpl/'),
      )
      expect(await rejection(gz(tar))).toBe('PAX_GLOBAL_KEY_FORBIDDEN')
    },
  )
  it('a global path would rename every later pax entry in tar-stream; it is refused anywhere', async () => {
    const tar = tarOf(dir('tpl/'), pax([['path', 'tpl/config.yaml']], 'g'), file('tpl/x', 'x'))
    expect(await rejection(gz(tar))).toBe('PAX_GLOBAL_KEY_FORBIDDEN')
  })
  it('a second global header', async () => {
    expect(await refused(pax([['comment', 'other']], 'g'))).toBe('TAR_CORRUPT')
  })
  it('no global header at all is fine without an expected commit', async () => {
    const { bundle } = await accept(gz(tarOf(dir('tpl/'), file('tpl/config.yaml', 'a: 1\n'))))
    expect(bundle.commit).toBeNull()
  })
})

describe('header blocks', () => {
  it('a bad checksum', async () => {
    expect(await refused(file('tpl/Dockerfile', 'x', { checksum: 1234 }))).toBe('TAR_CORRUPT')
  })
  it('an all-zero block with only a checksum (tar-stream reads it as padding)', async () => {
    const block = Buffer.alloc(BLOCK)
    block.write('0000400\0', 148, 'latin1')
    expect(await refused(block, file('tpl/Dockerfile', 'x'))).toBe('TAR_CORRUPT')
  })
  it('neither ustar nor GNU magic', async () => {
    expect(await refused(file('tpl/Dockerfile', 'x', { magic: 'none' }))).toBe('TAR_CORRUPT')
  })
  it.each([
    ['trailing letters (parseInt would read 10)', '12abc\0\0\0\0\0\0\0'],
    ['a non-octal digit', '00000000009\0'],
    ['an empty field', '\0'.repeat(12)],
    ['a negative base-256 number', Buffer.from([0xff, ...Array(11).fill(0xff)])],
    ['a base-256 marker other than 0x80', Buffer.from([0x81, ...Array(11).fill(0)])],
  ])('a size field with %s', async (_, sizeField) => {
    expect(await refused(header({ name: 'tpl/Dockerfile', sizeField }))).toBe('TAR_CORRUPT')
  })
  it.each([
    ['a bad checksum', { checksum: 1234 }],
    ['no magic', { magic: 'none' as const }],
    ['a size with a bad base-256 marker', { sizeField: Buffer.from([0x81, ...Array(11).fill(0)]) }],
  ])('%s is refused by the auditor before the name is believed', async (_, spec) => {
    expect(await refused(header({ name: 'tpl/../../etc/x', typeflag: '3', ...spec }))).toBe(
      'TAR_CORRUPT',
    )
  })
  it('a GNU header has no prefix field (GNU keeps times there), as in tar-stream', async () => {
    const entry = header({ name: 'tpl/prompts/a.md', magic: 'gnu', size: 1, prefix: '14751234567' })
    const { bundle } = await accepted(Buffer.concat([entry, Buffer.alloc(BLOCK, 0x78)]))
    expect(bundle.files.map((f) => f.path)).toContain('prompts/a.md')
  })
  it('a positive base-256 size is read as such', async () => {
    const sizeField = Buffer.from([0x80, ...Array(10).fill(0), 3])
    const entry = Buffer.concat([
      header({ name: 'tpl/Dockerfile', sizeField }),
      Buffer.alloc(BLOCK),
    ])
    expect(await skipped(entry)).toBe(1)
  })
  it('a huge base-256 size is too large, without waiting for the data', async () => {
    const sizeField = Buffer.from([0x80, ...Array(6).fill(0), 0x7f, ...Array(4).fill(0xff)])
    expect(await refused(header({ name: 'tpl/Dockerfile', sizeField }))).toBe('FILE_TOO_LARGE')
  })
  it('a non-octal mode', async () => {
    expect(await refused(file('tpl/Dockerfile', 'x', { modeField: '0000 64\0' }))).toBe(
      'TAR_CORRUPT',
    )
  })
})

describe('the end of the archive', () => {
  it('data after the end-of-archive blocks', async () => {
    const tar = Buffer.concat([templateTar([]), file('tpl/prompts/hidden.md', 'x'), END])
    expect(await rejection(gz(tar))).toBe('TRAILING_DATA')
  })
  it('a single stray byte after the end marker, in a later chunk', async () => {
    const tar = Buffer.concat([templateTar([]), Buffer.alloc(3000), Buffer.from([1])])
    expect(await rejection(gz(tar), { chunk: 97 })).toBe('TRAILING_DATA')
  })
  it('any amount of zero padding after the end marker is fine', async () => {
    await accept(gz(Buffer.concat([templateTar([]), Buffer.alloc(777)])))
  })
  it('a lone zero block before more entries', async () => {
    expect(await refused(Buffer.alloc(BLOCK), file('tpl/prompts/a.md', 'x'))).toBe('TAR_CORRUPT')
  })
  it('no end marker', async () => {
    const tar = templateTar([])
    const cut = tar.subarray(0, tar.indexOf(END) + BLOCK) // one of the two zero blocks
    expect(await rejection(gz(cut))).toBe('TRUNCATED')
  })
  it('an entry cut short', async () => {
    const tar = templateTar([file('tpl/prompts/a.md', 'x'.repeat(2000))])
    expect(await rejection(gz(tar.subarray(0, 2500)))).toBe('TRUNCATED')
  })
  it('a header cut short', async () => {
    const tar = templateTar([])
    expect(await rejection(gz(tar.subarray(0, 1100)))).toBe('TRUNCATED')
  })
})

describe('symlinks outside the allowlist', () => {
  it('are skipped and the archive accepted', async () => {
    const { bundle } = await accepted(symlink('tpl/node_modules', '/usr/lib/node_modules'))
    expect(bundle.skipped).toBe(1)
    expect(bundle.files.map((f) => f.path)).toEqual(['config.yaml'])
  })
})

describe('cross-check between the auditor and tar-stream', () => {
  // The auditor is shown one archive while tar-stream is fed another: every disagreement is caught.
  async function crossCheck(queued: AuditedEntry[], fed: Buffer): Promise<Error | null> {
    const auditor = new TarAuditor({ limits: DEFAULT_LIMITS, isKept: () => true, stripRoot: false })
    const failure = new Failure()
    const extract = tar.extract()
    extract.on('error', () => {})
    const settled = handleEntries(extract, auditor, failure, async (_, stream) => {
      stream.resume()
    })
    auditor.queue.push(...queued)
    await pipeline(Readable.from([fed]), extract, { signal: failure.signal }).catch(() => {})
    await settled()
    return failure.error
  }
  const entry = (name: string, size: number, type: AuditedEntry['type'] = 'file') => ({
    name,
    path: name,
    type,
    size,
    mode: 0o644 as const,
    keep: true,
  })
  it('agreeing parsers', async () => {
    expect(await crossCheck([entry('a', 3)], tarOf(file('a', 'xyz')))).toBeNull()
  })
  it.each([
    ['another name', [entry('b', 3)]],
    ['another size', [entry('a', 2)]],
    ['another type', [entry('a', 3, 'symlink')]],
    ['an entry the auditor never saw', []],
  ])('%s is TAR_CORRUPT', async (_, queued) => {
    const err = await crossCheck(queued, tarOf(file('a', 'xyz')))
    expect(err).toBeInstanceOf(RejectError)
    expect((err as RejectError).code).toBe('TAR_CORRUPT')
  })
})
