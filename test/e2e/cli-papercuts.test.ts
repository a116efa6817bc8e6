// Small things a new user meets first: --version, the settings in `serve --help`, `ls NAME`
// errors with the CLI's prefix, and evicted versions marked in `ls NAME` as the admin API does.
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { collectGarbage } from '../../src/cache/gc.js'
import { ENV_VARS, loadConfig } from '../../src/config.js'
import { openRuntime } from '../../src/runtime.js'
import { ingestTree } from '../http/read-fixture.js'
import { cli, ROOT } from '../support/cli.js'

describe('CLI papercuts', () => {
  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      version: string
    }
    const r = await cli(['--version'])
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(`${version}\n`)
  })

  it('serve --help lists every setting and points to docs/configuration.md', async () => {
    const r = await cli(['serve', '--help'])
    expect(r.code).toBe(0)
    for (const name of ENV_VARS) expect(r.stdout).toContain(name)
    expect(r.stdout).toContain('docs/configuration.md')
  })

  it('ls NAME: an unknown name is one prefixed line; evicted versions are marked', async () => {
    const data = join(mkdtempSync(join(tmpdir(), 'asset-cache-ls-')), 'data')
    const rt = await openRuntime(loadConfig({ ASSET_CACHE_DATA_DIR: data }))
    rt.index.templates.ensureLocal(
      'hand',
      { allow: ['config.yaml'], require: ['config.yaml'] },
      Date.now(),
    )
    const old = await ingestTree(rt, 'hand', { 'config.yaml': 'v: 1\n' })
    const current = await ingestTree(rt, 'hand', { 'config.yaml': 'v: 2\n' })
    const gc = await collectGarbage(rt, { budgetBytes: 1, keepVersions: 1 })
    expect(gc.removed.map((r) => r.digest)).toEqual([old.digest])
    rt.close()
    const env = { ASSET_CACHE_DATA_DIR: data }

    const [unknown, ls, json] = await Promise.all([
      cli(['ls', 'nope'], env),
      cli(['ls', 'hand'], env),
      cli(['ls', 'hand', '--json'], env),
    ])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toBe('asset-cache: UNKNOWN_TEMPLATE: no template named "nope"\n')

    expect(ls.code).toBe(0)
    const rows = ls.stdout.trimEnd().split('\n')
    const row = (commit: string) => rows.find((l) => l.includes(commit.slice(0, 10)))!
    expect(row(old.commit)).toMatch(/\sready \(evicted\)\s/)
    expect(row(current.commit)).toMatch(/^\*\s.*\sready\s/)
    expect(row(current.commit)).not.toContain('evicted')

    const detail = JSON.parse(json.stdout) as {
      versions: { commit: string; evicted: boolean; current: boolean }[]
    }
    expect(detail.versions.map((v) => [v.commit, v.evicted, v.current])).toEqual([
      [current.commit, false, true],
      [old.commit, true, false],
    ])
  }, 60_000)
})
