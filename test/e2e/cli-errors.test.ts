// A setting or path the operator must fix gets one line naming it and a stable exit code, never a
// stack trace: the port in use, an unusable data directory, a missing archive. Each is caused for
// real in a child process (a listening socket, a file in the way, a directory it may not write).

import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { openRuntime } from '../../src/runtime.js'
import { AS_UNPRIVILEGED, type CliResult, cli } from '../support/cli.js'

/** One line on stderr, `asset-cache: CODE: ...`, no stack frame. */
function expectOneLine(r: CliResult, code: string, ...named: string[]) {
  expect(r.stderr, r.stderr).toMatch(new RegExp(`^asset-cache: ${code}: `))
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1)
  expect(r.stderr).not.toMatch(/^\s+at /m)
  for (const n of named) expect(r.stderr).toContain(n)
}

const tmp = (label: string) => {
  const dir = mkdtempSync(join(tmpdir(), `asset-cache-${label}-`))
  chmodSync(dir, 0o755)
  return dir
}

describe('the listen address', () => {
  let busy: Server
  let port: number
  beforeAll(async () => {
    busy = createServer()
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r))
    port = (busy.address() as { port: number }).port
  })
  afterAll(() => new Promise<void>((r) => busy.close(() => r())))

  it('port in use: names ASSET_CACHE_HOST/ASSET_CACHE_PORT, exit 2', async () => {
    const [main, metrics] = await Promise.all([
      cli(['serve'], { ASSET_CACHE_DATA_DIR: tmp('data'), ASSET_CACHE_PORT: String(port) }),
      cli(['serve'], {
        ASSET_CACHE_DATA_DIR: tmp('data'),
        ASSET_CACHE_PORT: '0',
        ASSET_CACHE_METRICS_PORT: String(port),
      }),
    ])
    expect(main.code).toBe(2)
    expectOneLine(
      main,
      'LISTEN_FAILED',
      'ASSET_CACHE_HOST/ASSET_CACHE_PORT',
      `127.0.0.1:${port}`,
      'already in use',
    )
    expect(metrics.code).toBe(2)
    expectOneLine(metrics, 'LISTEN_FAILED', 'ASSET_CACHE_METRICS_HOST/ASSET_CACHE_METRICS_PORT')
  }, 60_000)
})

describe('the data directory', () => {
  it('a file where the directory should be: every command names ASSET_CACHE_DATA_DIR, exit 2', async () => {
    const dir = tmp('file')
    const file = join(dir, 'not-a-dir')
    writeFileSync(file, 'x')
    const archive = join(dir, 'a.tar.gz')
    writeFileSync(archive, 'x')
    const runs = await Promise.all(
      [
        ['serve'],
        ['ls'],
        ['gc'],
        ['migrate'],
        ['ingest', archive, '--template', 'x', '--untracked'],
      ].map(async (args) => ({ args, r: await cli(args, { ASSET_CACHE_DATA_DIR: file }) })),
    )
    for (const { args, r } of runs) {
      expect(r.code, args.join(' ')).toBe(2)
      expectOneLine(r, 'DATA_DIR_UNUSABLE', 'ASSET_CACHE_DATA_DIR', file, 'not a directory')
    }
    const below = await cli(['serve'], { ASSET_CACHE_DATA_DIR: join(file, 'data') })
    expect(below.code).toBe(2)
    expectOneLine(below, 'DATA_DIR_UNUSABLE', 'ASSET_CACHE_DATA_DIR', join(file, 'data'))
  }, 90_000)

  it('a directory the user may not write: names ASSET_CACHE_DATA_DIR and the path, exit 2', async () => {
    // Nothing there yet, under a directory the user cannot write.
    const locked = tmp('locked')
    chmodSync(locked, 0o555)
    const fresh = join(locked, 'data')
    // An index made by another user, which this one may read but not write.
    const owned = tmp('owned')
    const data = join(owned, 'data')
    const rt = await openRuntime(loadConfig({ ASSET_CACHE_DATA_DIR: data }))
    rt.close()
    chmodSync(join(data, 'index.db'), 0o444)
    chmodSync(data, 0o555)
    const [serveFresh, gcFresh, serveOwned] = await Promise.all([
      cli(['serve'], { ASSET_CACHE_DATA_DIR: fresh, ASSET_CACHE_PORT: '0' }, AS_UNPRIVILEGED),
      cli(['gc'], { ASSET_CACHE_DATA_DIR: fresh }, AS_UNPRIVILEGED),
      cli(['serve'], { ASSET_CACHE_DATA_DIR: data, ASSET_CACHE_PORT: '0' }, AS_UNPRIVILEGED),
    ])
    for (const r of [serveFresh, gcFresh]) {
      expect(r.code).toBe(2)
      expectOneLine(r, 'DATA_DIR_UNUSABLE', 'ASSET_CACHE_DATA_DIR', fresh, 'permission denied')
    }
    expect(serveOwned.code).toBe(2)
    expectOneLine(serveOwned, 'DATA_DIR_UNUSABLE', 'ASSET_CACHE_DATA_DIR', data)
    expect(existsSync(fresh)).toBe(false)
  }, 90_000)
})

describe('ingest input', () => {
  it('a missing archive (or a directory) is named, exit 2, and nothing is created', async () => {
    const dir = tmp('ingest')
    const data = join(dir, 'data')
    const missing = join(dir, 'missing.tar.gz')
    const folder = join(dir, 'folder')
    mkdirSync(folder)
    const [none, isDir] = await Promise.all([
      cli(['ingest', missing, '--template', 'x', '--untracked'], { ASSET_CACHE_DATA_DIR: data }),
      cli(['ingest', folder, '--template', 'x', '--untracked'], { ASSET_CACHE_DATA_DIR: data }),
    ])
    expect(none.code).toBe(2)
    expectOneLine(none, 'INPUT_UNREADABLE', missing, 'no such file')
    expect(isDir.code).toBe(2)
    expectOneLine(isDir, 'INPUT_UNREADABLE', folder, 'is a directory')
    expect(readdirSync(dir).sort()).toEqual(['folder'])
  }, 60_000)
})
