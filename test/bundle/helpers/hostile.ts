// The hostile-archive catalogue: one archive per way an archive is refused (and a few good ones),
// each as Gitea would serve it (tar.gz, `tpl/` top-level directory), with the verdict the cache
// must reach. Shared by every test that must agree with ingest (`asset-cache check`).
import type { RejectCode } from '../../../src/errors.js'
import {
  BLOCK,
  COMMIT,
  CONFIG,
  dir,
  file,
  gz,
  header,
  longName,
  pax,
  symlink,
  tarOf,
  templateTar,
} from './tar.js'

export interface CatalogueCase {
  name: string
  /** The bytes as served (gzip unless the case is about gzip itself). */
  archive: Buffer
  /** null: accepted. */
  code: RejectCode | null
  /** Allowlist other than the default (the agent-owned case keeps everything). */
  allow?: string[]
}

const t = (...entries: Buffer[]) => gz(templateTar(entries))
const valid = t(file('tpl/prompts/a.md', 'a'))
/** A case the cache must refuse with `code`: the entries, as a template archive. */
const refused = (code: RejectCode, name: string, ...entries: Buffer[]): CatalogueCase => ({
  name,
  archive: t(...entries),
  code,
})

export const HOSTILE_ARCHIVES: CatalogueCase[] = [
  { name: 'valid', archive: valid, code: null },
  {
    name: 'valid, with skipped files and a skipped link',
    archive: t(
      file('tpl/prompts/a.md', 'a'),
      file('tpl/Dockerfile', 'FROM scratch\n'),
      symlink('tpl/node_modules', '/usr/lib/node_modules'),
      file('tpl/agent-skills/s/run.sh', '#!/bin/sh\n', { mode: 0o755 }),
    ),
    code: null,
  },
  // Paths, every entry
  refused('PATH_TRAVERSAL', 'traversal', file('tpl/../evil', 'x')),
  refused(
    'PATH_TRAVERSAL',
    'traversal in a ustar prefix',
    file('evil', 'x', { prefix: 'tpl/prompts/..' }),
  ),
  refused(
    'PATH_TRAVERSAL',
    'traversal in a pax path',
    pax([['path', 'tpl/prompts/../../etc/passwd']]),
    file('tpl/prompts/a.md', 'x'),
  ),
  refused(
    'PATH_TRAVERSAL',
    'traversal in a GNU long name',
    longName('tpl/prompts/../../x'),
    file('tpl/prompts/a.md', 'x', { magic: 'gnu' }),
  ),
  refused(
    'PATH_ABSOLUTE',
    'an absolute ustar name under a pax path',
    pax([['path', 'tpl/prompts/a.md']]),
    file('/etc/passwd', 'x'),
  ),
  refused(
    'PATH_NOT_CANONICAL',
    'an empty segment',
    longName('tpl//x'),
    file('tpl/x', 'x', { magic: 'gnu' }),
  ),
  refused('GIT_METADATA', 'a .git directory', file('tpl/.git/config', '[core]\n')),
  refused('GIT_METADATA', 'a .GIT segment in a kept path', file('tpl/prompts/.GIT/hooks/x', 'x')),
  refused(
    'PATH_BAD_CHARACTER',
    'an escape sequence in a skipped name',
    file('tpl/a\u001b[2Jb', 'x'),
  ),
  refused(
    'PATH_BAD_CHARACTER',
    'a bidi override in a kept name',
    file('tpl/prompts/a\u202egnp.md', 'x'),
  ),
  refused(
    'PATH_INVALID_UTF8',
    'invalid UTF-8',
    file(Buffer.from([...Buffer.from('tpl/prompts/'), 0xff, 0x2e, 0x6d, 0x64]), 'x'),
  ),
  refused(
    'PATH_OUTSIDE_ROOT',
    'outside the top-level directory',
    file('elsewhere/prompts/a.md', 'a'),
  ),
  refused(
    'PATH_TOO_LONG',
    'a path over 1024 bytes',
    pax([['path', `tpl/prompts/${'a'.repeat(1100)}.md`]]),
    file('tpl/prompts/x', 'x'),
  ),
  refused(
    'PATH_TOO_DEEP',
    'a path over 32 segments',
    pax([['path', `tpl/prompts/${'d/'.repeat(33)}x.md`]]),
    file('tpl/prompts/x', 'x'),
  ),
  refused(
    'DUPLICATE_PATH',
    'the same path twice',
    file('tpl/prompts/a.md', 'a'),
    file('tpl/prompts/a.md', 'b'),
  ),
  // Headers
  refused(
    'ENTRY_TYPE_FORBIDDEN',
    'a hard link in a skipped path',
    header({ name: 'tpl/h.md', typeflag: '1', linkname: 'tpl/config.yaml' }),
  ),
  refused(
    'LINK_IN_ALLOWED_PATH',
    'a hard link in an allowed path',
    header({ name: 'tpl/prompts/h.md', typeflag: '1', linkname: 'tpl/config.yaml' }),
  ),
  refused('ENTRY_TYPE_FORBIDDEN', 'a FIFO', header({ name: 'tpl/prompts/f', typeflag: '6' })),
  refused('ENTRY_TYPE_FORBIDDEN', 'a character device', header({ name: 'tpl/dev', typeflag: '3' })),
  refused(
    'ENTRY_SIZE_INVALID',
    'a directory with a size',
    dir('tpl/docs/', { size: BLOCK }),
    Buffer.alloc(BLOCK),
  ),
  refused(
    'PAX_KEY_FORBIDDEN',
    'a pax key beyond the plain ones',
    pax([['SCHILY.xattr.security.capability', 'x']]),
    file('tpl/prompts/x.md', 'x'),
  ),
  refused(
    'PAX_SIZE_INVALID',
    'a pax size that disagrees with the ustar size',
    pax([['size', '0']]),
    file('tpl/Dockerfile', 'x'),
  ),
  {
    name: 'a global pax key other than comment',
    archive: gz(
      tarOf(
        pax(
          [
            ['comment', COMMIT],
            ['path', 'x'],
          ],
          'g',
        ),
        dir('tpl/'),
        file('tpl/config.yaml', CONFIG),
      ),
    ),
    code: 'PAX_GLOBAL_KEY_FORBIDDEN',
  },
  refused('TAR_CORRUPT', 'a bad header checksum', header({ name: 'tpl/prompts/x', checksum: 1 })),
  refused(
    'FILE_TOO_LARGE',
    'a file over 16 MiB by its header',
    header({ name: 'tpl/prompts/huge.bin', size: 0o77777777777 }),
  ),
  // Kept entries
  refused(
    'LINK_IN_ALLOWED_PATH',
    'a symbolic link in an allowed path',
    symlink('tpl/prompts/link.md', '../../../etc/passwd'),
  ),
  refused('PATH_NOT_PORTABLE', 'a colon in a kept name', file('tpl/prompts/a:b.md', 'x')),
  refused('PATH_NOT_NFC', 'a name not in NFC', file('tpl/prompts/e\u0301.md', 'x')),
  refused(
    'CASE_COLLISION',
    'two paths equal after case folding',
    file('tpl/prompts/A.md', 'x'),
    file('tpl/prompts/a.md', 'y'),
  ),
  refused(
    'PATH_CONFLICT',
    'a file that is also a directory',
    file('tpl/prompts/a', 'x'),
    file('tpl/prompts/a/b.md', 'y'),
  ),
  {
    name: 'an agent-owned path a template allows',
    archive: t(file('tpl/MEMORY.md', 'I am the agent now\n')),
    code: 'AGENT_OWNED_PATH',
    allow: ['**'],
  },
  // Content
  {
    name: 'no config.yaml',
    archive: gz(templateTar([file('tpl/prompts/a.md', 'a')], { config: false })),
    code: 'MISSING_REQUIRED_FILE',
  },
  {
    name: 'a config.yaml that is not a mapping',
    archive: gz(templateTar([file('tpl/config.yaml', '- a\n- b\n')], { config: false })),
    code: 'CONFIG_NOT_MAPPING',
  },
  // Container
  {
    name: 'data after the gzip member',
    archive: Buffer.concat([valid, Buffer.from('trailing')]),
    code: 'TRAILING_DATA',
  },
  { name: 'a truncated gzip', archive: valid.subarray(0, valid.length - 9), code: 'TRUNCATED' },
  {
    name: 'a CRC that does not match',
    archive: Buffer.concat([
      valid.subarray(0, valid.length - 8),
      Buffer.alloc(4),
      valid.subarray(-4),
    ]),
    code: 'GZIP_CORRUPT',
  },
]
