// `asset-cache url` against a real server on loopback: it prints a URL that reads the bundle with
// no token; a scoped token cannot mint outside its scope (exit 1); bad arguments exit 2.

import { randomBytes } from 'node:crypto'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { urlCommand } from '../../src/cli/url.js'
import {
  type Fixture,
  fixture,
  ingestTree,
  type Listening,
  listenFixture,
} from '../http/read-fixture.js'
import { capture } from './capture.js'

let f: Fixture
let served: Listening
let base: string
let seo: string
let docs: string

beforeAll(async () => {
  f = await fixture({
    ASSET_CACHE_READ_TOKENS: 'all-token,seo-token@seo',
    ASSET_CACHE_URL_KEY: randomBytes(32).toString('hex'),
  })
  seo = (await ingestTree(f.rt, 'seo', { 'config.yaml': 'name: seo\n' })).digest
  docs = (await ingestTree(f.rt, 'docs', { 'config.yaml': 'name: docs\n' })).digest
  served = await listenFixture(f)
  base = served.base
})

afterAll(async () => {
  await served.close()
  f?.rt.close()
})

describe('asset-cache url', () => {
  it('prints a URL that reads the bundle without a token, by template or digest', async () => {
    for (const target of ['seo', seo]) {
      const r = await capture(() =>
        urlCommand(target, { server: base, token: 'seo-token', ttl: '5m' }),
      )
      expect(r).toMatchObject({ code: 0, stderr: '' })
      const url = r.stdout.trim()
      expect(url).toMatch(new RegExp(`^${base}/v1/bundles/${seo}\\?expires=\\d+&signature=`))
      const expires = Number(new URL(url).searchParams.get('expires'))
      expect(expires - Date.now() / 1000).toBeLessThanOrEqual(300)
      const res = await request(url)
      expect(res.statusCode).toBe(200)
      await res.body.arrayBuffer()
    }
  })

  it('exits 1 when the server refuses: outside the scope, a wrong token', async () => {
    for (const [target, token, code] of [
      ['docs', 'seo-token', 'UNKNOWN_TEMPLATE'],
      [docs, 'seo-token', 'NOT_FOUND'],
      ['seo', 'wrong', 'UNAUTHORIZED'],
    ] as const) {
      const r = await capture(() => urlCommand(target, { server: base, token }))
      expect(r.code).toBe(1)
      expect(r.stdout).toBe('')
      expect(r.stderr).toContain(`asset-cache url: ${code}:`)
      expect(r.stderr).not.toContain(token === 'wrong' ? 'wrong' : 'seo-token')
    }
  })

  it('exits 2 for a bad --ttl or no server', async () => {
    for (const ttl of ['0s', '25h', 'soon', '1500ms']) {
      const r = await capture(() => urlCommand('seo', { server: base, token: 'all-token', ttl }))
      expect(r.code, ttl).toBe(2)
      expect(r.stderr).toContain('INVALID_ARGUMENT')
    }
    const saved = process.env.ASSET_CACHE_SERVER
    delete process.env.ASSET_CACHE_SERVER
    try {
      expect((await capture(() => urlCommand('seo', { token: 'all-token' }))).code).toBe(2)
    } finally {
      if (saved !== undefined) process.env.ASSET_CACHE_SERVER = saved
    }
  })
})
