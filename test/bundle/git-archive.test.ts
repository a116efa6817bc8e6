// A real template repository, archived by git as Gitea serves it: the bundle keeps exactly the
// allowed files, and its digest depends on nothing but their paths, modes and contents.
import { createHash } from 'node:crypto'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import tar, { type Header } from 'tar-stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { digestOf, sha256Hex } from '../../src/digest.js'
import { archive, commitTree, git } from '../support/git.js'
import { accept, readBack, tempDir } from './helpers/run.js'
import { pax } from './helpers/tar.js'

// git splits the first into the ustar prefix; the second (one 120-byte segment) needs a pax path.
const LONG = `prompts/${'long-directory-name/'.repeat(6)}deeply-nested-prompt-file.md`
const PAX_LONG = `prompts/${'p'.repeat(117)}.md`
const TREE = {
  'config.yaml': 'name: seo-agent\nmodel: large\n',
  'prompts/intro.md': '# Intro\n',
  'prompts/café.md': 'accented\n',
  [LONG]: 'long path\n',
  [PAX_LONG]: 'pax path\n',
  'agent-skills/x/run.sh': { content: '#!/bin/sh\necho run\n', executable: true as const },
  'agent-skills/x/SKILL.md': 'skill\n',
  Dockerfile: 'FROM scratch\n',
  'README.md': 'readme\n',
  node_modules: { symlink: '/usr/lib/node_modules' },
}

let repo: string
let commit: string
let tgz: Buffer

beforeAll(async () => {
  repo = await tempDir('bundle-repo-')
  commit = await commitTree(repo, TREE)
  tgz = await archive(repo, 'agent-template-seo')
})
afterAll(() => rm(repo, { recursive: true, force: true }))

const entry = (path: string, content: string, mode: number) => ({
  path,
  size: Buffer.byteLength(content),
  sha256: createHash('sha256').update(content).digest('hex'),
  mode,
})
const digest = (bytes: Buffer) => digestOf(sha256Hex(bytes))

interface Entry {
  header: Header
  body: Buffer
}

/** The entries of git's uncompressed archive, and its global header, as tar-stream reads them. */
async function gitEntries(): Promise<Entry[]> {
  const extract = tar.extract()
  const entries: Entry[] = []
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = []
    stream.on('data', (c) => {
      chunks.push(c as Buffer)
    })
    stream.on('end', () => {
      entries.push({ header, body: Buffer.concat(chunks) })
      next()
    })
  })
  Readable.from([await archive(repo, 'agent-template-seo', 'tar')]).pipe(extract)
  await new Promise<void>((resolve) => extract.on('finish', () => resolve()))
  return entries
}

/** Re-packs entries with tar-stream, after the global commit header, and gzips at `level`. */
async function repack(entries: Entry[], level: number): Promise<Buffer> {
  const pack = tar.pack()
  for (const { header, body } of entries) {
    if (header.type === 'file') pack.entry({ ...header, pax: null }, body)
    else pack.entry({ ...header, pax: null })
  }
  pack.finalize()
  const chunks: Buffer[] = []
  for await (const chunk of pack) chunks.push(chunk as Buffer)
  const packed = Buffer.concat(chunks)
  return gzipSync(Buffer.concat([pax([['comment', commit]], 'g'), packed]), { level })
}

describe('git archive of a real template repository', () => {
  it('keeps exactly the allowed files, with their modes, and the commit', async () => {
    const { bundle, tar } = await accept(tgz, { expectedCommit: commit })
    expect(bundle.commit).toBe(commit)
    expect(bundle.files).toEqual([
      entry('agent-skills/x/SKILL.md', 'skill\n', 0o644),
      entry('agent-skills/x/run.sh', '#!/bin/sh\necho run\n', 0o755),
      entry('config.yaml', TREE['config.yaml'], 0o644),
      entry('prompts/café.md', 'accented\n', 0o644),
      entry('prompts/intro.md', '# Intro\n', 0o644),
      entry(LONG, 'long path\n', 0o644),
      entry(PAX_LONG, 'pax path\n', 0o644),
    ])
    expect(bundle.skipped).toBe(3) // Dockerfile, README.md, node_modules
    expect(bundle.compressedBytes).toBe(tgz.length)
    expect(bundle.size).toBe(tar.length)
    const back = await readBack(tar)
    expect(back.map(({ path, mode, sha256 }) => ({ path, mode, sha256 }))).toEqual(
      bundle.files.map(({ path, mode, sha256 }) => ({ path, mode, sha256 })),
    )
  })

  it('gives the same digest whatever the mtimes, owners, entry order or gzip level', async () => {
    const reference = digest((await accept(tgz)).tar)
    const entries = await gitEntries()
    const variants = [
      await repack(
        entries.map((e, i) => ({ ...e, header: { ...e.header, mtime: new Date(i * 1e9) } })),
        6,
      ),
      await repack(
        entries.map((e) => ({
          ...e,
          header: { ...e.header, uid: 1234, gid: 99, uname: 'alice', gname: 'staff' },
        })),
        6,
      ),
      await repack([entries[0]!, ...entries.slice(1).reverse()], 6),
      await repack(entries, 1),
      await repack(entries, 9),
    ]
    for (const variant of variants) {
      expect(variant.equals(tgz)).toBe(false)
      expect(digest((await accept(variant)).tar)).toBe(reference)
    }
  })

  it('gives the same digest for a commit that touches only skipped files', async () => {
    const before = digest((await accept(tgz)).tar)
    await writeFile(join(repo, 'Dockerfile'), 'FROM alpine\n')
    await git(repo, ['commit', '-qam', 'docker only'])
    const next = await archive(repo, 'agent-template-seo')
    const { bundle, tar } = await accept(next)
    expect(bundle.commit).not.toBe(commit)
    expect(digest(tar)).toBe(before)
    await git(repo, ['reset', '-q', '--hard', commit])
  })
})
