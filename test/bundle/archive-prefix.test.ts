// Gitea's `[repository] PREFIX_ARCHIVE_FILES`: true (its default) makes `git archive
// --prefix=<lower-cased repo name>/`, false puts the files at the archive root. GITEA_ARCHIVE_PREFIX
// says which; the same files give the same bundle either way, and an archive whose shape
// contradicts the setting is refused with a code whose message names Gitea's setting.
import { rm } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { canonicalize } from '../../src/bundle/index.js'
import { RejectError } from '../../src/errors.js'
import { archive, commitTree, git } from '../support/git.js'
import { accept, rejection, source, tempDir } from './helpers/run.js'

const TREE = {
  'config.yaml': 'name: seo-agent\n',
  'prompts/intro.md': '# Intro\n',
  'agent-skills/x/run.sh': { content: '#!/bin/sh\necho run\n', executable: true as const },
  'README.md': 'readme\n',
}

let repo: string
let prefixed: Buffer
let bare: Buffer
/** A repository whose files all sit in one directory: unprefixed, it looks prefixed. */
let nested: string

beforeAll(async () => {
  repo = await tempDir('prefix-repo-')
  await commitTree(repo, TREE)
  prefixed = await archive(repo, 'agent-template-seo')
  bare = await git(repo, ['archive', '--format=tar.gz', 'HEAD'], { bytes: true })
  nested = await tempDir('prefix-nested-')
  await commitTree(nested, { 'prompts/intro.md': '# Intro\n' })
})
afterAll(async () => {
  await rm(repo, { recursive: true, force: true })
  await rm(nested, { recursive: true, force: true })
})

async function message(tgz: Buffer, archivePrefix: boolean): Promise<string> {
  const spoolDir = await tempDir()
  try {
    const err = await canonicalize(source(tgz), { spoolDir, archivePrefix }).then(
      () => null,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(RejectError)
    return (err as RejectError).message
  } finally {
    await rm(spoolDir, { recursive: true, force: true })
  }
}

describe('GITEA_ARCHIVE_PREFIX', () => {
  it('gives the same bundle and digest for the same files, with or without the prefix', async () => {
    const a = await accept(prefixed)
    const b = await accept(bare, { archivePrefix: false })
    expect(b.bundle.files).toEqual(a.bundle.files)
    expect(b.tar.equals(a.tar)).toBe(true)
    expect(a.bundle.files.map((f) => f.path)).toContain('config.yaml')
  })

  it('refuses an unprefixed archive read as prefixed, naming PREFIX_ARCHIVE_FILES', async () => {
    expect(await rejection(bare)).toBe('ARCHIVE_PREFIX_MISMATCH')
    expect(await message(bare, true)).toMatch(
      /PREFIX_ARCHIVE_FILES=false.*GITEA_ARCHIVE_PREFIX=false/,
    )
  })

  it('refuses a prefixed archive read as unprefixed, naming PREFIX_ARCHIVE_FILES', async () => {
    expect(await rejection(prefixed, { archivePrefix: false })).toBe('ARCHIVE_PREFIX_MISMATCH')
    expect(await message(prefixed, false)).toMatch(
      /PREFIX_ARCHIVE_FILES=true.*GITEA_ARCHIVE_PREFIX=true/,
    )
    const oneDirectory = await git(nested, ['archive', '--format=tar.gz', 'HEAD'], { bytes: true })
    expect(await rejection(oneDirectory, { archivePrefix: false })).toBe('ARCHIVE_PREFIX_MISMATCH')
  })

  it('applies the allowlist to an unprefixed archive’s root files', async () => {
    const other = await tempDir('prefix-git-')
    try {
      await commitTree(other, { 'config.yaml': 'a: 1\n', '.gitattributes': '* -text\n' })
      const tgz = await git(other, ['archive', '--format=tar.gz', 'HEAD'], { bytes: true })
      const { bundle } = await accept(tgz, { archivePrefix: false })
      expect(bundle.files.map((f) => f.path)).toEqual(['config.yaml'])
    } finally {
      await rm(other, { recursive: true, force: true })
    }
  })
})
