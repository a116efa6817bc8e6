import { mkdir, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { pull, readState, STATE_FILE } from '../../src/client/index.js'
import { snapshot } from './snapshot.js'
import { bundleOf, publish, type TestFile, TOKEN } from './stub-server.js'
import { pullCli, stubSuite } from './stub-suite.js'

const ctx = stubSuite('pull-prune-', { nested: true })

const V1: TestFile[] = [
  { path: 'config.yaml', body: 'v: 1\n' },
  { path: 'prompts/system.md', body: 'system\n' },
  { path: 'prompts/old/deep.md', body: 'deep\n' },
  { path: 'agent-skills/run.sh', body: '#!/bin/sh\n', mode: 0o755 },
]
const V2: TestFile[] = [{ path: 'config.yaml', body: 'v: 2\n' }]

async function version(files: TestFile[]): Promise<string> {
  return publish(ctx.stub, 'seo', await bundleOf(files))
}
const pullSeo = (extra: { repair?: boolean } = {}) =>
  pull(ctx.stub.url, 'seo', { into: ctx.dir, token: TOKEN, ...extra })
const files = async () => Object.keys(await snapshot(ctx.dir)).filter((p) => p !== STATE_FILE)
/** The state file as JSON, to edit the way an older client or a hand would have left it. */
async function editState(edit: (state: Record<string, unknown>) => void): Promise<void> {
  const state = JSON.parse(await readFile(join(ctx.dir, STATE_FILE), 'utf8'))
  edit(state)
  await writeFile(join(ctx.dir, STATE_FILE), JSON.stringify(state))
}

describe('pruning what the previous version wrote', () => {
  it('removes dropped files and the directories pull created for them, once empty', async () => {
    await version(V1)
    await pullSeo()
    await version(V2)
    const r = await pullSeo()
    expect(r).toMatchObject({
      status: 'pulled',
      written: ['config.yaml'],
      removed: ['agent-skills/run.sh', 'prompts/old/deep.md', 'prompts/system.md'],
      kept: [],
    })
    expect(await files()).toEqual(['config.yaml'])
    expect((await readState(ctx.dir))?.dirs).toEqual([])
  })

  it('leaves a directory that holds a file of the agent, and one that was there before', async () => {
    await mkdir(join(ctx.dir, 'agent-skills'), { recursive: true })
    await version(V1)
    await pullSeo()
    expect((await readState(ctx.dir))?.dirs).toEqual(['prompts', 'prompts/old'])
    await writeFile(join(ctx.dir, 'prompts/mine.md'), 'mine')
    await version(V2)
    await pullSeo()
    expect(await files()).toEqual(['agent-skills', 'config.yaml', 'prompts', 'prompts/mine.md'])
    // still tracked: removed later, once the agent's file is gone and it is empty
    expect((await readState(ctx.dir))?.dirs).toEqual(['prompts'])
    await unlink(join(ctx.dir, 'prompts/mine.md'))
    await version([...V2, { path: 'x.md', body: 'x' }])
    await pullSeo()
    expect(await files()).toEqual(['agent-skills', 'config.yaml', 'x.md'])
  })

  it('keeps a dropped file that was changed since pull wrote it, and says so', async () => {
    await version(V1)
    await pullSeo()
    await writeFile(join(ctx.dir, 'prompts/system.md'), 'edited by hand\n')
    await version(V2)
    const r = await pullSeo()
    expect(r).toMatchObject({ kept: ['prompts/system.md'] })
    expect(await readFile(join(ctx.dir, 'prompts/system.md'), 'utf8')).toBe('edited by hand\n')
  })

  it('never removes what the state names outside DIR, agent-owned or reserved', async () => {
    await writeFile(join(ctx.root, 'outside.txt'), 'x')
    await version(V1)
    await pullSeo()
    await writeFile(join(ctx.dir, 'MEMORY.md'), 'agent memory')
    await mkdir(join(ctx.dir, 'workspace'))
    await writeFile(join(ctx.dir, 'workspace/notes.md'), 'notes')
    // A state as an older client (no hashes) or a hand would have left it.
    await editState((s) => {
      s.manifest = undefined
      s.files = [
        ...(s.files as string[]),
        '../outside.txt',
        '/etc/hostname',
        'MEMORY.md',
        'memory.md',
        'workspace/notes.md',
        '.asset-cache.json',
        'prompts/../../outside.txt',
      ]
      s.dirs = [...(s.dirs as string[]), '..', 'workspace', '.claude', '/tmp']
    })
    await version(V2)
    const r = await pullSeo()
    expect(r.status).toBe('pulled')
    expect(await readFile(join(ctx.root, 'outside.txt'), 'utf8')).toBe('x')
    expect(await readFile(join(ctx.dir, 'MEMORY.md'), 'utf8')).toBe('agent memory')
    expect(await readFile(join(ctx.dir, 'workspace/notes.md'), 'utf8')).toBe('notes')
    // the files the older state recorded go by path
    expect(await files()).toEqual(['MEMORY.md', 'config.yaml', 'workspace', 'workspace/notes.md'])
  })

  it('never removes through a symlink that replaced a directory it wrote', async () => {
    const outside = join(ctx.root, 'outside')
    await version(V1)
    await pullSeo()
    await mkdir(outside)
    await writeFile(join(outside, 'system.md'), 'system\n') // the same bytes pull wrote
    await rm(join(ctx.dir, 'prompts'), { recursive: true })
    await symlink(outside, join(ctx.dir, 'prompts'))
    await version(V2)
    const r = await pullSeo()
    expect(r).toMatchObject({ kept: ['prompts/old/deep.md', 'prompts/system.md'] })
    expect(await readFile(join(outside, 'system.md'), 'utf8')).toBe('system\n')
  })

  for (const { name, before, after, dirs } of [
    {
      name: 'a file it wrote where the new version needs a directory is replaced by one',
      before: { path: 'prompts', body: 'a file\n' },
      after: { path: 'prompts/a.md', body: 'a\n' },
    },
    {
      name: 'a directory it created where the new version puts a file is replaced by it',
      before: { path: 'prompts/a/b.md', body: 'b\n' },
      after: { path: 'prompts', body: 'a file\n' },
      dirs: [],
    },
  ] as { name: string; before: TestFile; after: TestFile; dirs?: string[] }[]) {
    it(name, async () => {
      await version([...V2, before])
      await pullSeo()
      await version([...V2, after])
      const r = await pullSeo()
      expect(r).toMatchObject({ removed: [before.path], written: [after.path] })
      expect(await readFile(join(ctx.dir, after.path), 'utf8')).toBe(after.body)
      if (dirs) expect((await readState(ctx.dir))?.dirs).toEqual(dirs)
    })
  }

  it('rewrites only the files whose bytes or mode changed', async () => {
    await version(V1)
    await pullSeo()
    const before = await snapshot(ctx.dir)
    await version([
      ...V1.filter((f) => f.path !== 'config.yaml'),
      { path: 'config.yaml', body: 'v: 3\n' },
    ])
    expect(await pullSeo()).toMatchObject({ written: ['config.yaml'], removed: [] })
    const after = await snapshot(ctx.dir)
    expect(after['prompts/system.md']).toBe(before['prompts/system.md'])
    expect(after['config.yaml']).not.toBe(before['config.yaml'])
  })
})

describe('repair', () => {
  it('restores files changed or deleted locally although the template did not change', async () => {
    const digest = await version(V1)
    await pullSeo()
    const intact = (await snapshot(ctx.dir))['prompts/system.md']
    await writeFile(join(ctx.dir, 'config.yaml'), 'tampered\n')
    await unlink(join(ctx.dir, 'prompts/old/deep.md'))
    // without repair, the 304 is taken at its word
    expect(await pullSeo()).toEqual({ status: 'unchanged', digest })
    expect(await readFile(join(ctx.dir, 'config.yaml'), 'utf8')).toBe('tampered\n')
    ctx.stub.requests.length = 0
    const r = await pullSeo({ repair: true })
    expect(r).toMatchObject({
      status: 'repaired',
      digest,
      written: ['config.yaml', 'prompts/old/deep.md'],
      removed: [],
    })
    expect(ctx.stub.requests.map((q) => [q.url, q.headers['if-none-match']])).toEqual([
      ['/v1/templates/seo', `"${digest}"`],
      [`/v1/bundles/${digest}`, undefined],
    ])
    expect(await readFile(join(ctx.dir, 'config.yaml'), 'utf8')).toBe('v: 1\n')
    expect(await readFile(join(ctx.dir, 'prompts/old/deep.md'), 'utf8')).toBe('deep\n')
    expect((await snapshot(ctx.dir))['prompts/system.md']).toBe(intact)
  })

  it('restores a mode changed locally, and changes nothing when all is intact', async () => {
    const digest = await version(V1)
    await pullSeo()
    await writeFile(join(ctx.dir, 'agent-skills/run.sh'), '#!/bin/sh\n', { mode: 0o644 })
    const { chmod } = await import('node:fs/promises')
    await chmod(join(ctx.dir, 'agent-skills/run.sh'), 0o644)
    expect(await pullSeo({ repair: true })).toMatchObject({ written: ['agent-skills/run.sh'] })
    const before = await snapshot(ctx.dir)
    delete before[STATE_FILE]
    expect(await pullSeo({ repair: true })).toMatchObject({
      status: 'repaired',
      digest,
      written: [],
    })
    const after = await snapshot(ctx.dir)
    delete after[STATE_FILE]
    expect(after).toEqual(before)
  })

  it('works for a DIR pulled by digest', async () => {
    const digest = await version(V1)
    await pull(ctx.stub.url, digest, { into: ctx.dir, token: TOKEN })
    await unlink(join(ctx.dir, 'config.yaml'))
    const r = await pull(ctx.stub.url, digest, { into: ctx.dir, token: TOKEN, repair: true })
    expect(r).toMatchObject({ status: 'repaired', written: ['config.yaml'] })
  })

  it('a new version under repair is a plain pull that also restores local changes', async () => {
    await version(V1)
    await pullSeo()
    await writeFile(join(ctx.dir, 'prompts/system.md'), 'tampered\n')
    await version([...V2, { path: 'prompts/system.md', body: 'system\n' }])
    const r = await pullSeo({ repair: true })
    expect(r).toMatchObject({ status: 'pulled', written: ['config.yaml', 'prompts/system.md'] })
    expect(await readFile(join(ctx.dir, 'prompts/system.md'), 'utf8')).toBe('system\n')
  })

  it('the CLI: --repair says what it restored', async () => {
    const digest = await version(V1)
    await pullSeo()
    await unlink(join(ctx.dir, 'config.yaml'))
    const r = await pullCli(['seo', '--into', ctx.dir, '--repair'], {
      ASSET_CACHE_SERVER: ctx.stub.url,
      ASSET_CACHE_TOKEN: TOKEN,
    })
    expect(r).toEqual({
      status: 0,
      stdout: `repaired ${digest}: restored 1 of 4 files in ${ctx.dir}\n`,
      stderr: '',
    })
  })
})
