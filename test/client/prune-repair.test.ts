// A new version removes what the previous one wrote and no longer has — only that, only inside DIR,
// never an agent's file — and `repair` restores files changed or deleted since pull wrote them.
import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { pull, readState, STATE_FILE } from '../../src/client/index.js'
import { snapshot } from './snapshot.js'
import {
  bundleOf,
  publish,
  type StubServer,
  startStub,
  type TestFile,
  TOKEN,
} from './stub-server.js'

let stub: StubServer
let root: string
let dir: string

beforeAll(async () => {
  stub = await startStub()
})
afterAll(async () => {
  await stub.close()
})
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'pull-prune-'))
  dir = join(root, 'ws')
  stub.reset()
})
afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

const V1: TestFile[] = [
  { path: 'config.yaml', body: 'v: 1\n' },
  { path: 'prompts/system.md', body: 'system\n' },
  { path: 'prompts/old/deep.md', body: 'deep\n' },
  { path: 'agent-skills/run.sh', body: '#!/bin/sh\n', mode: 0o755 },
]
const V2: TestFile[] = [{ path: 'config.yaml', body: 'v: 2\n' }]

async function version(files: TestFile[]): Promise<string> {
  return publish(stub, 'seo', await bundleOf(files))
}
const pullSeo = (extra: { repair?: boolean } = {}) =>
  pull(stub.url, 'seo', { into: dir, token: TOKEN, ...extra })
const files = async () => Object.keys(await snapshot(dir)).filter((p) => p !== STATE_FILE)
/** The state file as JSON, to edit the way an older client or a hand would have left it. */
async function editState(edit: (state: Record<string, unknown>) => void): Promise<void> {
  const state = JSON.parse(await readFile(join(dir, STATE_FILE), 'utf8'))
  edit(state)
  await writeFile(join(dir, STATE_FILE), JSON.stringify(state))
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
    expect((await readState(dir))?.dirs).toEqual([])
  })

  it('leaves a directory that holds a file of the agent, and one that was there before', async () => {
    await mkdir(join(dir, 'agent-skills'), { recursive: true })
    await version(V1)
    await pullSeo()
    expect((await readState(dir))?.dirs).toEqual(['prompts', 'prompts/old'])
    await writeFile(join(dir, 'prompts/mine.md'), 'mine')
    await version(V2)
    await pullSeo()
    expect(await files()).toEqual(['agent-skills', 'config.yaml', 'prompts', 'prompts/mine.md'])
    // still tracked: removed later, once the agent's file is gone and it is empty
    expect((await readState(dir))?.dirs).toEqual(['prompts'])
    await unlink(join(dir, 'prompts/mine.md'))
    await version([...V2, { path: 'x.md', body: 'x' }])
    await pullSeo()
    expect(await files()).toEqual(['agent-skills', 'config.yaml', 'x.md'])
  })

  it('keeps a dropped file that was changed since pull wrote it, and says so', async () => {
    await version(V1)
    await pullSeo()
    await writeFile(join(dir, 'prompts/system.md'), 'edited by hand\n')
    await version(V2)
    const r = await pullSeo()
    expect(r).toMatchObject({ kept: ['prompts/system.md'] })
    expect(await readFile(join(dir, 'prompts/system.md'), 'utf8')).toBe('edited by hand\n')
  })

  it('never removes what the state names outside DIR, agent-owned or reserved', async () => {
    await writeFile(join(root, 'outside.txt'), 'x')
    await version(V1)
    await pullSeo()
    await writeFile(join(dir, 'MEMORY.md'), 'agent memory')
    await mkdir(join(dir, 'workspace'))
    await writeFile(join(dir, 'workspace/notes.md'), 'notes')
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
    expect(await readFile(join(root, 'outside.txt'), 'utf8')).toBe('x')
    expect(await readFile(join(dir, 'MEMORY.md'), 'utf8')).toBe('agent memory')
    expect(await readFile(join(dir, 'workspace/notes.md'), 'utf8')).toBe('notes')
    // the files the older state recorded go by path
    expect(await files()).toEqual(['MEMORY.md', 'config.yaml', 'workspace', 'workspace/notes.md'])
  })

  it('never removes through a symlink that replaced a directory it wrote', async () => {
    const outside = join(root, 'outside')
    await version(V1)
    await pullSeo()
    await mkdir(outside)
    await writeFile(join(outside, 'system.md'), 'system\n') // the same bytes pull wrote
    await rm(join(dir, 'prompts'), { recursive: true })
    await symlink(outside, join(dir, 'prompts'))
    await version(V2)
    const r = await pullSeo()
    expect(r).toMatchObject({ kept: ['prompts/old/deep.md', 'prompts/system.md'] })
    expect(await readFile(join(outside, 'system.md'), 'utf8')).toBe('system\n')
  })

  it('a file it wrote where the new version needs a directory is replaced by one', async () => {
    await version([...V2, { path: 'prompts', body: 'a file\n' }])
    await pullSeo()
    await version([...V2, { path: 'prompts/a.md', body: 'a\n' }])
    const r = await pullSeo()
    expect(r).toMatchObject({ removed: ['prompts'], written: ['prompts/a.md'] })
    expect(await readFile(join(dir, 'prompts/a.md'), 'utf8')).toBe('a\n')
  })

  it('a directory it created where the new version puts a file is replaced by it', async () => {
    await version([...V2, { path: 'prompts/a/b.md', body: 'b\n' }])
    await pullSeo()
    await version([...V2, { path: 'prompts', body: 'a file\n' }])
    const r = await pullSeo()
    expect(r).toMatchObject({ removed: ['prompts/a/b.md'], written: ['prompts'] })
    expect(await readFile(join(dir, 'prompts'), 'utf8')).toBe('a file\n')
    expect((await readState(dir))?.dirs).toEqual([])
  })

  it('rewrites only the files whose bytes or mode changed', async () => {
    await version(V1)
    await pullSeo()
    const before = await snapshot(dir)
    await version([
      ...V1.filter((f) => f.path !== 'config.yaml'),
      { path: 'config.yaml', body: 'v: 3\n' },
    ])
    expect(await pullSeo()).toMatchObject({ written: ['config.yaml'], removed: [] })
    const after = await snapshot(dir)
    expect(after['prompts/system.md']).toBe(before['prompts/system.md'])
    expect(after['config.yaml']).not.toBe(before['config.yaml'])
  })
})

describe('repair', () => {
  it('restores files changed or deleted locally although the template did not change', async () => {
    const digest = await version(V1)
    await pullSeo()
    const intact = (await snapshot(dir))['prompts/system.md']
    await writeFile(join(dir, 'config.yaml'), 'tampered\n')
    await unlink(join(dir, 'prompts/old/deep.md'))
    // without repair, the 304 is taken at its word
    expect(await pullSeo()).toEqual({ status: 'unchanged', digest })
    expect(await readFile(join(dir, 'config.yaml'), 'utf8')).toBe('tampered\n')
    stub.requests.length = 0
    const r = await pullSeo({ repair: true })
    expect(r).toMatchObject({
      status: 'repaired',
      digest,
      written: ['config.yaml', 'prompts/old/deep.md'],
      removed: [],
    })
    expect(stub.requests.map((q) => [q.url, q.headers['if-none-match']])).toEqual([
      ['/v1/templates/seo', `"${digest}"`],
      [`/v1/bundles/${digest}`, undefined],
    ])
    expect(await readFile(join(dir, 'config.yaml'), 'utf8')).toBe('v: 1\n')
    expect(await readFile(join(dir, 'prompts/old/deep.md'), 'utf8')).toBe('deep\n')
    expect((await snapshot(dir))['prompts/system.md']).toBe(intact)
  })

  it('restores a mode changed locally, and changes nothing when all is intact', async () => {
    const digest = await version(V1)
    await pullSeo()
    await writeFile(join(dir, 'agent-skills/run.sh'), '#!/bin/sh\n', { mode: 0o644 })
    const { chmod } = await import('node:fs/promises')
    await chmod(join(dir, 'agent-skills/run.sh'), 0o644)
    expect(await pullSeo({ repair: true })).toMatchObject({ written: ['agent-skills/run.sh'] })
    const before = await snapshot(dir)
    delete before[STATE_FILE]
    expect(await pullSeo({ repair: true })).toMatchObject({
      status: 'repaired',
      digest,
      written: [],
    })
    const after = await snapshot(dir)
    delete after[STATE_FILE]
    expect(after).toEqual(before)
  })

  it('works for a DIR pulled by digest', async () => {
    const digest = await version(V1)
    await pull(stub.url, digest, { into: dir, token: TOKEN })
    await unlink(join(dir, 'config.yaml'))
    const r = await pull(stub.url, digest, { into: dir, token: TOKEN, repair: true })
    expect(r).toMatchObject({ status: 'repaired', written: ['config.yaml'] })
  })

  it('a new version under repair is a plain pull that also restores local changes', async () => {
    await version(V1)
    await pullSeo()
    await writeFile(join(dir, 'prompts/system.md'), 'tampered\n')
    await version([...V2, { path: 'prompts/system.md', body: 'system\n' }])
    const r = await pullSeo({ repair: true })
    expect(r).toMatchObject({ status: 'pulled', written: ['config.yaml', 'prompts/system.md'] })
    expect(await readFile(join(dir, 'prompts/system.md'), 'utf8')).toBe('system\n')
  })

  it('the CLI: --repair says what it restored', async () => {
    const digest = await version(V1)
    await pullSeo()
    await unlink(join(dir, 'config.yaml'))
    const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>(
      (done) => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', 'src/main.ts', 'pull', 'seo', '--into', dir, '--repair'],
          {
            cwd: join(import.meta.dirname, '../..'),
            env: { ...process.env, ASSET_CACHE_SERVER: stub.url, ASSET_CACHE_TOKEN: TOKEN },
          },
        )
        let stdout = ''
        let stderr = ''
        child.stdout.on('data', (d) => {
          stdout += d
        })
        child.stderr.on('data', (d) => {
          stderr += d
        })
        child.on('close', (status) => done({ status, stdout, stderr }))
      },
    )
    expect(r).toEqual({
      status: 0,
      stdout: `repaired ${digest}: restored 1 of 4 files in ${dir}\n`,
      stderr: '',
    })
  })
})
