// `pull oci://…` against real registries: the cache's own /v2 (Bearer token flow), Debian's
// docker-registry as a pull-through mirror (anonymous), and a plain docker-registry with Basic
// auth holding a copy whose layer skopeo gzipped (diff_id path). Each writes exactly the bundle's
// files; a second pull of the same bundle does nothing. Lying registries: oci-pull-hostile.test.ts.
import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseOciTarget, pullOci } from '../../src/client/oci.js'
import { readState } from '../../src/client/state.js'
import { type RunningServer, startServer } from '../../src/http/server.js'
import { silentLogger } from '../../src/log.js'
import { buildImage } from '../../src/oci/image.js'
import { ingestTree } from '../http/read-fixture.js'
import type { Registry } from '../support/oci-tools.js'
import {
  filesUnder,
  missingTools,
  skopeoCopy,
  skopeoRead,
  startRegistry,
} from '../support/oci-tools.js'
import { testConfig } from '../support/runtime.js'

const TOKEN = 'oci-pull-reader'
const SCOPED = 'oci-pull-docs'
/** htpasswd entry for `fleet` / PASSWORD (bcrypt, cost 4: made once with crypt(3)). */
const PASSWORD = 'fleet-mirror-password'
const HTPASSWD = 'fleet:$2b$04$RYtCeROYIu4y8GvvdbG3PeLACd485cJjxXjxnSpKyTVSQSFTJEkS2'
const missing = missingTools()
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const MAIN = join(ROOT, 'src/main.ts')

let server: RunningServer
let seo: { digest: string; commit: string }
let host: string
const registries: Registry[] = []
let dir: string

/** GET /v2/token answers so far (the server's own request counter). */
async function tokenRequests(): Promise<number> {
  const { values } = await server.metrics.httpRequests.get()
  return values.filter((v) => v.labels.route === '/v2/token').reduce((n, v) => n + v.value, 0)
}
const into = () => mkdtempSync(join(dir, 'into-'))
const bundleFiles = (digest: string) => server.runtime.index.bundles.files(digest)
/** The files in DIR except the client's own state file. */
const written = async (d: string) =>
  (await filesUnder(d)).filter((f) => f.path !== '.asset-cache.json')

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'asset-cache-oci-pull-'))
  server = await startServer(
    testConfig(
      [
        { name: 'seo', repo: 'acme/seo', ref: 'main' },
        { name: 'docs', repo: 'acme/docs' },
      ],
      { ASSET_CACHE_READ_TOKENS: `${TOKEN},${SCOPED}@docs` },
    ),
    { logger: silentLogger },
  )
  host = new URL(server.url).host
  seo = await ingestTree(server.runtime, 'seo', {
    'config.yaml': 'name: seo\n',
    'prompts/system.md': 'be brief\n'.repeat(500),
    'agent-skills/run.sh': { content: '#!/bin/sh\necho\n', executable: true },
  })
  await ingestTree(server.runtime, 'docs', { 'config.yaml': 'name: docs\n' })
})

afterAll(async () => {
  for (const r of registries) await r.stop()
  await server.close(1_000)
})

describe('parseOciTarget', () => {
  it('reads host, repository and tag or digest; plain HTTP only for loopback or oci+http', () => {
    expect(parseOciTarget('oci://reg.example.com/templates/seo')).toMatchObject({
      repository: 'templates/seo',
      reference: 'latest',
    })
    expect(parseOciTarget('oci://reg.example.com:5000/a/b:v1').origin.href).toBe(
      'https://reg.example.com:5000/',
    )
    expect(parseOciTarget('oci://127.0.0.1:5000/a:main').origin.protocol).toBe('http:')
    expect(parseOciTarget('oci+http://mirror.internal/a:main').origin.protocol).toBe('http:')
    const d = `sha256:${'a'.repeat(64)}`
    expect(parseOciTarget(`oci://r/a/b@${d}`)).toMatchObject({ repository: 'a/b', reference: d })
    for (const bad of [
      'oci://',
      'oci://r',
      'oci://r/A',
      'oci://r/a:-x',
      'oci://r/a@latest',
      'oci://u:p@r/a',
      'http://r/a',
    ]) {
      expect(() => parseOciTarget(bad), bad).toThrow(
        expect.objectContaining({ code: 'INVALID_TARGET' }),
      )
    }
  })
})

describe('pull oci:// from the cache', () => {
  it('pulls latest with the token flow: the bundle files, bytes and modes, and records the state', async () => {
    const d = into()
    const tokens = await tokenRequests()
    const result = await pullOci(`oci://${host}/templates/seo:latest`, { into: d, token: TOKEN })
    // The cache's first challenge is Bearer: the client fetched a token, once.
    expect((await tokenRequests()) - tokens).toBe(1)
    expect(result).toMatchObject({ status: 'pulled', digest: seo.digest, commit: seo.commit })
    expect(await written(d)).toEqual(bundleFiles(seo.digest))
    expect(await readState(d)).toMatchObject({
      digest: seo.digest,
      template: 'seo',
      commit: seo.commit,
    })
    const again = await pullOci(`oci://${host}/templates/seo:main`, { into: d, token: TOKEN })
    expect(again).toEqual({ status: 'unchanged', digest: seo.digest })
  })

  it('pulls by index digest and by commit tag, for another platform too', async () => {
    const index = buildImage({
      template: 'seo',
      digest: seo.digest,
      size: server.runtime.index.bundles.get(seo.digest)!.size,
      commit: seo.commit,
      source: 'acme/seo',
      platforms: server.runtime.config.oci.platforms,
    }).index.digest
    for (const ref of [`@${index}`, `:${seo.commit}`]) {
      const d = into()
      const r = await pullOci(`oci://${host}/templates/seo${ref}`, {
        into: d,
        token: TOKEN,
        platform: { os: 'linux', architecture: 'arm64' },
      })
      expect(r.digest, ref).toBe(seo.digest)
    }
  })

  it('refuses without a token, with a wrong one, and for a template out of scope', async () => {
    const target = `oci://${host}/templates/seo:latest`
    await expect(pullOci(target, { into: into() })).rejects.toMatchObject({ code: 'UNAUTHORIZED' })
    await expect(pullOci(target, { into: into(), token: 'wrong' })).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    })
    await expect(pullOci(target, { into: into(), token: SCOPED })).rejects.toMatchObject({
      code: 'TEMPLATE_NOT_FOUND',
    })
    const d = into()
    await pullOci(`oci://${host}/templates/docs:latest`, { into: d, token: SCOPED })
    expect(readdirSync(d)).toContain('config.yaml')
  })
})

describe('asset-cache pull oci://', () => {
  it('pulls with no --server, prints the digest, and is a no-op the second time', async () => {
    const d = into()
    const cli = (...args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          ['--import', 'tsx', MAIN, 'pull', ...args],
          { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME } },
          (err, stdout, stderr) =>
            resolve({ code: err ? (err.code as number) : 0, stdout, stderr }),
        )
      })
    const first = await cli(`oci://${host}/templates/seo:latest`, '--into', d, '--token', TOKEN)
    expect([first.code, first.stdout]).toEqual([0, `pulled ${seo.digest} (3 files) into ${d}\n`])
    const second = await cli(`oci://${host}/templates/seo:latest`, '--into', d, '--token', TOKEN)
    expect([second.code, second.stdout]).toEqual([0, `unchanged ${seo.digest}\n`])
    const refused = await cli(`oci://${host}/templates/seo:latest`, '--into', d, '--token', 'wrong')
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/^asset-cache pull: UNAUTHORIZED: /)
    expect(refused.stderr).not.toContain('wrong')
  }, 120_000)
})

describe.skipIf(missing.length > 0)('pull oci:// through other registries', () => {
  it('through docker-registry as a pull-through mirror, anonymously', async () => {
    const mirror = await startRegistry(mkdtempSync(join(dir, 'mirror-')), {
      proxy: { upstream: server.url, username: 'mirror', password: TOKEN },
    })
    registries.push(mirror)
    const d = into()
    const r = await pullOci(`oci://${mirror.host}/templates/seo:latest`, { into: d })
    expect(r).toMatchObject({ status: 'pulled', digest: seo.digest })
    expect(await written(d)).toEqual(bundleFiles(seo.digest))
  })

  it('from a Basic-auth registry holding a gzipped copy: verified against the diff_id', async () => {
    const reg = await startRegistry(mkdtempSync(join(dir, 'basic-')), { htpasswd: HTPASSWD })
    registries.push(reg)
    await skopeoCopy(`docker://${host}/templates/seo:latest`, `docker://${reg.host}/fleet/seo:v1`, {
      srcCreds: `x:${TOKEN}`,
      destCreds: `fleet:${PASSWORD}`,
    })
    const raw = JSON.parse(
      await skopeoRead('inspect', `docker://${reg.host}/fleet/seo:v1`, {
        raw: true,
        creds: `fleet:${PASSWORD}`,
      }),
    )
    expect(raw.layers[0].mediaType).toMatch(/gzip/)
    const target = `oci://${reg.host}/fleet/seo:v1`
    await expect(pullOci(target, { into: into() })).rejects.toMatchObject({ code: 'UNAUTHORIZED' })
    const d = into()
    const r = await pullOci(target, { into: d, user: 'fleet', token: PASSWORD })
    expect(r).toMatchObject({ status: 'pulled', digest: seo.digest })
    expect(await written(d)).toEqual(bundleFiles(seo.digest))
  })
})
