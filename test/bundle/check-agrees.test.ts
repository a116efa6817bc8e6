// `asset-cache check` runs the validator ingest runs: on every case of the hostile-archive
// catalogue it reaches the same verdict with the same code and entry (and, for a good archive,
// the same digest and files); on a git working tree it checks what `git archive HEAD` serves.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ingest } from '../../src/cache/ingest.js'
import { checkTarget } from '../../src/cli/check.js'
import type { Runtime } from '../../src/runtime.js'
import { cli } from '../support/cli.js'
import { archive, commitTree } from '../support/git.js'
import { testRuntime } from '../support/runtime.js'
import { HOSTILE_ARCHIVES } from './helpers/hostile.js'
import { tempDir } from './helpers/run.js'

let rt: Runtime
let work: string

beforeAll(async () => {
  rt = await testRuntime([
    { name: 'tpl', repo: 'acme/tpl' },
    { name: 'everything', repo: 'acme/everything', allow: ['**'] },
  ])
  work = await tempDir('check-')
})
afterAll(() => rt.close())

async function viaIngest(bytes: Buffer, template: string) {
  return ingest(
    {
      index: rt.index,
      store: rt.store,
      spoolDir: rt.spoolDir,
      limits: rt.config.limits,
      now: rt.now,
    },
    { template: rt.index.templates.get(template)!, archive: Readable.from([bytes]), source: 'cli' },
  )
}

describe('check agrees with ingest on the hostile-archive catalogue', () => {
  it.each(HOSTILE_ARCHIVES.map((c, i) => [c.name, c, i] as const))('%s', async (_name, c, i) => {
    const template = c.allow ? 'everything' : 'tpl'
    const file = join(work, `case-${i}.tar.gz`)
    writeFileSync(file, c.archive)
    const checked = await checkTarget(rt.config, file, { template })
    const ingested = await viaIngest(c.archive, template)
    if (ingested.status === 'rejected') {
      expect(checked.verdict).toEqual({
        status: 'rejected',
        code: ingested.code,
        detail: ingested.detail,
        entry: ingested.entry ?? null,
      })
    } else {
      expect(checked.verdict).toEqual({
        status: 'ready',
        digest: ingested.digest,
        size: ingested.size,
      })
      expect(checked.kept).toHaveLength(ingested.fileCount)
    }
    expect(ingested.status === 'rejected' ? ingested.code : null).toBe(c.code)
  })

  it('a plain .tar is read as its gzip would be', async () => {
    const good = HOSTILE_ARCHIVES[1]!
    const file = join(work, 'plain.tar')
    writeFileSync(file, gunzipSync(good.archive))
    const checked = await checkTarget(rt.config, file, {})
    const ingested = await viaIngest(good.archive, 'tpl')
    expect(ingested.status).toBe('ready')
    expect(checked.verdict).toMatchObject({
      status: 'ready',
      digest: ingested.status === 'ready' ? ingested.digest : '',
    })
    expect(checked.skipped.map((s) => s.path).sort()).toEqual(['Dockerfile', 'node_modules'])
  })
})

describe('check on a git working tree', { timeout: 90_000 }, () => {
  it('checks the committed content as git archive serves it, and says when the tree is dirty', async () => {
    const repo = join(work, 'agent-template-seo')
    mkdirSync(repo)
    const commit = await commitTree(repo, {
      'config.yaml': 'name: seo\n',
      'prompts/system.md': 'Be brief.\n',
      'README.md': 'readme\n',
    })
    writeFileSync(join(repo, 'prompts/system.md'), 'uncommitted\n')
    const checked = await checkTarget(rt.config, repo, {})
    expect(checked.source).toMatchObject({ kind: 'git', commit, dirty: true })
    const ingested = await viaIngest(await archive(repo, 'agent-template-seo'), 'tpl')
    expect(checked.verdict).toEqual({
      status: 'ready',
      digest: ingested.status === 'ready' ? ingested.digest : '',
      size: ingested.status === 'ready' ? ingested.size : 0,
    })
    expect(checked.kept.map((f) => f.path)).toEqual(['config.yaml', 'prompts/system.md'])
    expect(checked.skipped).toEqual([{ path: 'README.md', type: 'file' }])

    const run = await cli(['check', repo])
    expect(run.code).toBe(0)
    expect(run.stdout).toContain(`at ${commit} (git archive HEAD: committed content only)`)
    expect(run.stdout).toContain('note: the working tree has uncommitted changes')
    expect(run.stdout).toMatch(
      /kept 2:\n {2}644 +10 {2}config\.yaml\n {2}644 +10 {2}prompts\/system\.md/,
    )
    expect(run.stdout).toContain('skipped 1:\n  file  README.md')
    expect(run.stdout).toContain(
      `ok: ready, 2 files, ${checked.verdict.status === 'ready' ? checked.verdict.size : 0} bytes, sha256:`,
    )
  })

  it('rejects a committed link in an allowed path with the code and path, exit 1', async () => {
    const repo = join(work, 'hostile')
    mkdirSync(repo)
    await commitTree(repo, {
      'config.yaml': 'name: x\n',
      'prompts/leak.md': { symlink: '/etc/passwd' },
    })
    const run = await cli(['check', repo])
    expect(run.code).toBe(1)
    expect(run.stderr).toBe(
      'rejected LINK_IN_ALLOWED_PATH: symlink in an allowed path (entry: prompts/leak.md)\n',
    )
    const ingested = await viaIngest(await archive(repo, 'hostile'), 'tpl')
    expect(ingested).toMatchObject({
      status: 'rejected',
      code: 'LINK_IN_ALLOWED_PATH',
      entry: 'prompts/leak.md',
    })
  })

  it('answers a usage mistake with exit 2', { timeout: 120_000 }, async () => {
    const notGit = join(work, 'plain-dir')
    mkdirSync(notGit)
    const [plain, missing, unknown, extra] = await Promise.all([
      cli(['check', notGit]),
      cli(['check', join(work, 'missing.tar.gz')]),
      cli(['check', notGit, '--template', 'nope']),
      cli(['check', 'a', 'b']),
    ])
    expect(plain.code).toBe(2)
    expect(plain.stderr).toContain('INPUT_UNREADABLE')
    expect(missing.code).toBe(2)
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('UNTRACKED_TEMPLATE')
    expect(extra.code).toBe(2)
  })
})
