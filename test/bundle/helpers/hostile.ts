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
  { name: 'traversal', archive: t(file('tpl/../evil', 'x')), code: 'PATH_TRAVERSAL' },
  {
    name: 'traversal in a ustar prefix',
    archive: t(file('evil', 'x', { prefix: 'tpl/prompts/..' })),
    code: 'PATH_TRAVERSAL',
  },
  {
    name: 'traversal in a pax path',
    archive: t(pax([['path', 'tpl/prompts/../../etc/passwd']]), file('tpl/prompts/a.md', 'x')),
    code: 'PATH_TRAVERSAL',
  },
  {
    name: 'traversal in a GNU long name',
    archive: t(longName('tpl/prompts/../../x'), file('tpl/prompts/a.md', 'x', { magic: 'gnu' })),
    code: 'PATH_TRAVERSAL',
  },
  {
    name: 'an absolute ustar name under a pax path',
    archive: t(pax([['path', 'tpl/prompts/a.md']]), file('/etc/passwd', 'x')),
    code: 'PATH_ABSOLUTE',
  },
  {
    name: 'an empty segment',
    archive: t(longName('tpl//x'), file('tpl/x', 'x', { magic: 'gnu' })),
    code: 'PATH_NOT_CANONICAL',
  },
  {
    name: 'a .git directory',
    archive: t(file('tpl/.git/config', '[core]\n')),
    code: 'GIT_METADATA',
  },
  {
    name: 'a .GIT segment in a kept path',
    archive: t(file('tpl/prompts/.GIT/hooks/x', 'x')),
    code: 'GIT_METADATA',
  },
  {
    name: 'an escape sequence in a skipped name',
    archive: t(file('tpl/a\u001b[2Jb', 'x')),
    code: 'PATH_BAD_CHARACTER',
  },
  {
    name: 'a bidi override in a kept name',
    archive: t(file('tpl/prompts/a\u202egnp.md', 'x')),
    code: 'PATH_BAD_CHARACTER',
  },
  {
    name: 'invalid UTF-8',
    archive: t(file(Buffer.from([...Buffer.from('tpl/prompts/'), 0xff, 0x2e, 0x6d, 0x64]), 'x')),
    code: 'PATH_INVALID_UTF8',
  },
  {
    name: 'outside the top-level directory',
    archive: t(file('elsewhere/prompts/a.md', 'a')),
    code: 'PATH_OUTSIDE_ROOT',
  },
  {
    name: 'a path over 1024 bytes',
    archive: t(pax([['path', `tpl/prompts/${'a'.repeat(1100)}.md`]]), file('tpl/prompts/x', 'x')),
    code: 'PATH_TOO_LONG',
  },
  {
    name: 'a path over 32 segments',
    archive: t(pax([['path', `tpl/prompts/${'d/'.repeat(33)}x.md`]]), file('tpl/prompts/x', 'x')),
    code: 'PATH_TOO_DEEP',
  },
  {
    name: 'the same path twice',
    archive: t(file('tpl/prompts/a.md', 'a'), file('tpl/prompts/a.md', 'b')),
    code: 'DUPLICATE_PATH',
  },
  // Headers
  {
    name: 'a hard link in a skipped path',
    archive: t(header({ name: 'tpl/h.md', typeflag: '1', linkname: 'tpl/config.yaml' })),
    code: 'ENTRY_TYPE_FORBIDDEN',
  },
  {
    name: 'a hard link in an allowed path',
    archive: t(header({ name: 'tpl/prompts/h.md', typeflag: '1', linkname: 'tpl/config.yaml' })),
    code: 'LINK_IN_ALLOWED_PATH',
  },
  {
    name: 'a FIFO',
    archive: t(header({ name: 'tpl/prompts/f', typeflag: '6' })),
    code: 'ENTRY_TYPE_FORBIDDEN',
  },
  {
    name: 'a character device',
    archive: t(header({ name: 'tpl/dev', typeflag: '3' })),
    code: 'ENTRY_TYPE_FORBIDDEN',
  },
  {
    name: 'a directory with a size',
    archive: t(dir('tpl/docs/', { size: BLOCK }), Buffer.alloc(BLOCK)),
    code: 'ENTRY_SIZE_INVALID',
  },
  {
    name: 'a pax key beyond the plain ones',
    archive: t(pax([['SCHILY.xattr.security.capability', 'x']]), file('tpl/prompts/x.md', 'x')),
    code: 'PAX_KEY_FORBIDDEN',
  },
  {
    name: 'a pax size that disagrees with the ustar size',
    archive: t(pax([['size', '0']]), file('tpl/Dockerfile', 'x')),
    code: 'PAX_SIZE_INVALID',
  },
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
  {
    name: 'a bad header checksum',
    archive: t(header({ name: 'tpl/prompts/x', checksum: 1 })),
    code: 'TAR_CORRUPT',
  },
  {
    name: 'a file over 16 MiB by its header',
    archive: t(header({ name: 'tpl/prompts/huge.bin', size: 0o77777777777 })),
    code: 'FILE_TOO_LARGE',
  },
  // Kept entries
  {
    name: 'a symbolic link in an allowed path',
    archive: t(symlink('tpl/prompts/link.md', '../../../etc/passwd')),
    code: 'LINK_IN_ALLOWED_PATH',
  },
  {
    name: 'a colon in a kept name',
    archive: t(file('tpl/prompts/a:b.md', 'x')),
    code: 'PATH_NOT_PORTABLE',
  },
  {
    name: 'a name not in NFC',
    archive: t(file('tpl/prompts/e\u0301.md', 'x')),
    code: 'PATH_NOT_NFC',
  },
  {
    name: 'two paths equal after case folding',
    archive: t(file('tpl/prompts/A.md', 'x'), file('tpl/prompts/a.md', 'y')),
    code: 'CASE_COLLISION',
  },
  {
    name: 'a file that is also a directory',
    archive: t(file('tpl/prompts/a', 'x'), file('tpl/prompts/a/b.md', 'y')),
    code: 'PATH_CONFLICT',
  },
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
