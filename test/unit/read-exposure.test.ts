import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { checkReadExposure, startServer } from '../../src/http/server.js'
import { silentLogger } from '../../src/log.js'
import { testConfig } from '../support/runtime.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

describe('anonymous reads', () => {
  it.each([
    ['loopback without tokens', { ASSET_CACHE_HOST: '127.0.0.1' }],
    ['IPv6 loopback without tokens', { ASSET_CACHE_HOST: '::1' }],
    ['any address with tokens', { ASSET_CACHE_HOST: '0.0.0.0', ASSET_CACHE_READ_TOKENS: 't' }],
    [
      'any address, anonymous on purpose',
      { ASSET_CACHE_HOST: '0.0.0.0', ASSET_CACHE_ALLOW_ANONYMOUS_READS: 'true' },
    ],
  ])('are allowed: %s', (_name, env) => {
    expect(() => checkReadExposure(testConfig([], env))).not.toThrow()
  })

  it('refuse to start on a non-loopback address without tokens, saying how to fix it', async () => {
    const config = testConfig([], { ASSET_CACHE_HOST: '0.0.0.0' })
    await expect(startServer(config, { logger: silentLogger })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(
        /ASSET_CACHE_READ_TOKENS.*ASSET_CACHE_ALLOW_ANONYMOUS_READS=true/s,
      ),
    })
  })

  it('make `asset-cache serve` exit 2 with the message', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/main.ts'), 'serve'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        ASSET_CACHE_HOST: '0.0.0.0',
        ASSET_CACHE_PORT: '0',
        ASSET_CACHE_DATA_DIR: testConfig().dataDir,
      },
      encoding: 'utf8',
      timeout: 20_000,
    })
    expect(r.status).toBe(2)
    expect(r.stderr).toContain('ASSET_CACHE_READ_TOKENS')
  })
})
