// The exit code table (README "Exit codes"), command by command, as a user meets it:
// 0 ok, 1 the operation failed, 2 usage or configuration.
import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { type RunningServer, startServer } from '../../src/http/server.js'
import { silentLogger } from '../../src/log.js'
import { type CliResult, cli } from '../support/cli.js'

const ADMIN = randomBytes(32).toString('hex')
const DIGEST = `sha256:${'0'.repeat(64)}`

let server: RunningServer
let data: string

beforeAll(async () => {
  data = join(mkdtempSync(join(tmpdir(), 'asset-cache-exit-')), 'data')
  server = await startServer(
    loadConfig({
      ASSET_CACHE_DATA_DIR: data,
      ASSET_CACHE_PORT: '0',
      ASSET_CACHE_FETCH: 'off',
      ASSET_CACHE_ADMIN_TOKEN: ADMIN,
    }),
    { logger: silentLogger },
  )
})
afterAll(() => server?.close(1_000))

/** Runs rows a few at a time (each is a node process; the machine has few cores). */
async function runAll(rows: [string[], Record<string, string>][]): Promise<CliResult[]> {
  const out: CliResult[] = []
  for (let i = 0; i < rows.length; i += 3) {
    out.push(...(await Promise.all(rows.slice(i, i + 3).map(([args, env]) => cli(args, env)))))
  }
  return out
}

describe('exit codes', () => {
  it('0 ok · 1 the operation failed · 2 usage or configuration', async () => {
    const local = () => ({ ASSET_CACHE_DATA_DIR: data })
    const admin = (token = ADMIN) => ({
      ASSET_CACHE_SERVER: server.url,
      ASSET_CACHE_ADMIN_TOKEN: token,
    })
    const rows: [string, string[], Record<string, string>, number][] = [
      ['help', ['--help'], {}, 0],
      ['a command help', ['gc', '--help'], {}, 0],
      ['ls', ['ls'], local(), 0],
      ['verify', ['verify'], local(), 0],
      // usage: commander
      ['no command', [], {}, 2],
      ['unknown command', ['frobnicate'], {}, 2],
      ['unknown option', ['ls', '--nope'], local(), 2],
      ['missing argument', ['forget'], local(), 2],
      ['missing required option', ['ingest', '/dev/null'], local(), 2],
      ['too many arguments', ['ls', 'a', 'b'], local(), 2],
      // usage: our checks
      ['gc --budget lots', ['gc', '--budget', 'lots'], local(), 2],
      ['configuration that does not parse', ['ls'], { ASSET_CACHE_PORT: 'eighty' }, 2],
      ['pin without a server', ['pin', 'seo', DIGEST], { ASSET_CACHE_ADMIN_TOKEN: ADMIN }, 2],
      ['unpin without a token', ['unpin', 'seo'], { ASSET_CACHE_SERVER: server.url }, 2],
      ['refresh with no URL', ['refresh', 'seo', '--server', 'not a url'], admin(), 2],
      ['pull without a server', ['pull', 'seo', '--into', data], {}, 2],
      // the operation failed
      ['ls of an unknown template', ['ls', 'nope'], local(), 1],
      ['forget of an unknown template', ['forget', 'nope'], local(), 1],
      ['pin refused by the server', ['pin', 'nope', DIGEST], admin(), 1],
      [
        'refresh with a wrong token',
        ['refresh', 'nope'],
        admin(randomBytes(32).toString('hex')),
        1,
      ],
      [
        'a server that is not there',
        ['unpin', 'seo', '--server', 'http://127.0.0.1:9'],
        admin(),
        1,
      ],
    ]
    const results = await runAll(rows.map(([, args, env]) => [args, env]))
    const got = rows.map(([label], i) => [label, results[i]!.code])
    expect(got).toEqual(rows.map(([label, , , code]) => [label, code]))
    for (const r of results) expect(r.stderr).not.toMatch(/^\s+at /m)
  }, 180_000)
})
