// Real OCI clients against a real server fed by the test Gitea (real git repositories, real
// `git archive`): skopeo inspects and copies each template's image straight from the cache with a
// read token, umoci unpacks the copy into exactly the bundle's files (bytes and modes), and the
// same works through Debian's docker-registry (CNCF distribution) as a pull-through cache. A
// scoped token reads only its templates, directly and as a mirror's credential; two replicas
// serve the same digests.
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningServer, startServer } from '../../src/http/server.js'
import { silentLogger } from '../../src/log.js'
import { createRepo, type FakeGitea, startFakeGitea } from '../support/gitea/index.js'
import type { Registry } from '../support/oci-tools.js'
import {
  filesUnder,
  missingTools,
  run,
  skopeoRead,
  startRegistry,
  TOOLS,
} from '../support/oci-tools.js'
import { testConfig } from '../support/runtime.js'
import { until } from '../support/wait.js'

const GITEA_TOKEN = 'gitea-oci-token'
const TOKEN = 'oci-e2e-reader'
const SCOPED = 'oci-e2e-docs-only'
const missing = missingTools()
if (missing.length > 0) {
  console.warn(`skipping the OCI client tests: ${missing.join(', ')} missing (CI installs them)`)
}

let gitea: FakeGitea
const servers: RunningServer[] = []
const registries: Registry[] = []
let host: string
let dir: string

const TEMPLATES = [
  { name: 'seo', repo: 'acme/Agent-Template-SEO', ref: 'release/1.0' },
  { name: 'docs', repo: 'acme/docs', ref: 'main' },
]

async function startCache(): Promise<RunningServer> {
  const config = testConfig(TEMPLATES, {
    GITEA_BASE_URL: gitea.url,
    GITEA_TOKEN,
    ASSET_CACHE_READ_TOKENS: `${TOKEN},${SCOPED}@docs`,
    ASSET_CACHE_RECONCILE_INTERVAL: '1h',
  })
  const server = await startServer(config, { logger: silentLogger })
  servers.push(server)
  const ready = (name: string) => {
    const t = server.runtime.index.templates.get(name)
    return t?.currentVersionId != null
  }
  await until(() => ready('seo') && ready('docs'), { timeoutMs: 30_000 })
  return server
}

const current = (server: RunningServer, name: string) => {
  const { index } = server.runtime
  return index.versions.get(index.templates.get(name)!.currentVersionId!)!
}

const skopeo = (...args: string[]) => run(TOOLS.skopeo, args)
const ref = (where: string, name: string, tag: string) =>
  `docker://${where}/templates/${name}:${tag}`

async function manifestDigest(server: RunningServer, name: string, tag: string): Promise<string> {
  const res = await request(`${server.url}/v2/templates/${name}/manifests/${tag}`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  })
  await res.body.dump()
  return res.headers['docker-content-digest'] as string
}

/** skopeo copy to an OCI layout, then umoci raw unpack: the files of the unpacked rootfs. */
async function copyAndUnpack(source: string, creds: string[]) {
  const work = mkdtempSync(join(dir, 'copy-'))
  await skopeo('copy', '--src-tls-verify=false', ...creds, source, `oci:${work}/layout:t`)
  await run(TOOLS.umoci, [
    'raw',
    'unpack',
    '--rootless',
    '--image',
    `${work}/layout:t`,
    `${work}/rootfs`,
  ])
  return filesUnder(`${work}/rootfs`)
}

function bundleFiles(server: RunningServer, name: string) {
  return server.runtime.index.bundles.files(current(server, name).digest!)
}

beforeAll(async () => {
  if (missing.length > 0) return
  dir = mkdtempSync(join(tmpdir(), 'asset-cache-oci-'))
  gitea = await startFakeGitea({ tokens: [GITEA_TOKEN] })
  gitea.addRepo(
    await createRepo({
      owner: 'acme',
      name: 'Agent-Template-SEO',
      defaultBranch: 'release/1.0',
      files: {
        'config.yaml': 'name: seo\nmodel: small\n',
        'prompts/system.md': 'You are helpful.\n'.repeat(200),
        'agent-skills/search/run.sh': { content: '#!/bin/sh\necho hi\n', mode: 0o755 as const },
        Dockerfile: 'FROM scratch\n',
      },
    }),
  )
  gitea.addRepo(
    await createRepo({
      owner: 'acme',
      name: 'docs',
      objectFormat: 'sha256',
      files: { 'config.yaml': 'name: docs\n' },
    }),
  )
  host = new URL((await startCache()).url).host
}, 60_000)

afterAll(async () => {
  for (const r of registries) await r.stop()
  for (const s of servers) await s.close(1_000)
  await gitea?.stop()
})

describe.skipIf(missing.length > 0)('OCI clients straight from the cache', () => {
  it('skopeo inspect shows the image: digest, tags, labels, the bundle as the one layer', async () => {
    const [server] = servers
    const seo = current(server!, 'seo')
    const out = JSON.parse(
      await skopeoRead('inspect', ref(host, 'seo', 'latest'), { creds: `x:${TOKEN}` }),
    )
    expect(out.Layers).toEqual([seo.digest])
    expect(out.RepoTags.sort()).toEqual([seo.commit, 'latest', 'release-1.0'].sort())
    expect(out.Labels).toMatchObject({
      'org.opencontainers.image.revision': seo.commit,
      'org.opencontainers.image.source': `${gitea.url}/acme/Agent-Template-SEO`,
      'dev.asset-cache.template': 'seo',
    })
    const raw = JSON.parse(
      await skopeoRead('inspect', ref(host, 'seo', 'release-1.0'), {
        raw: true,
        creds: `x:${TOKEN}`,
      }),
    )
    expect(raw.mediaType).toBe('application/vnd.oci.image.index.v1+json')
    // The 64-hex commit of a sha256 repository is a tag too.
    const docs = current(server!, 'docs')
    expect(docs.commit).toMatch(/^[0-9a-f]{64}$/)
    const tags = JSON.parse(
      await skopeoRead('list-tags', `docker://${host}/templates/docs`, { creds: `x:${TOKEN}` }),
    )
    expect(tags.Tags).toContain(docs.commit)
  })

  it('skopeo copy + umoci unpack give exactly the bundle files, bytes and modes', async () => {
    const [server] = servers
    const files = await copyAndUnpack(ref(host, 'seo', 'latest'), ['--src-creds', `x:${TOKEN}`])
    expect(files).toEqual(bundleFiles(server!, 'seo'))
    expect(files.find((f) => f.path === 'agent-skills/search/run.sh')?.mode).toBe(0o755)
  })

  it('skopeo copy --all --preserve-digests keeps every digest: the layer is the bundle as served', async () => {
    const [server] = servers
    const work = mkdtempSync(join(dir, 'all-'))
    await skopeo(
      'copy',
      '--all',
      '--preserve-digests',
      '--src-tls-verify=false',
      '--src-creds',
      `x:${TOKEN}`,
      ref(host, 'seo', 'latest'),
      `oci:${work}/l:t`,
    )
    const index = JSON.parse(await skopeo('inspect', '--raw', `oci:${work}/l:t`))
    const expected = await (
      await request(`${server!.url}/v2/templates/seo/manifests/latest`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      })
    ).body.json()
    expect(index).toEqual(expected)
    const layer = readFileSync(`${work}/l/blobs/sha256/${current(server!, 'seo').digest!.slice(7)}`)
    expect(`sha256:${createHash('sha256').update(layer).digest('hex')}`).toBe(
      current(server!, 'seo').digest,
    )
  })

  it('a scoped token reads its templates only: manifests, tags and blobs of others are unknown', async () => {
    const [server] = servers
    const creds = ['--creds', `x:${SCOPED}`]
    await expect(
      skopeo('inspect', '--tls-verify=false', ...creds, ref(host, 'seo', 'latest')),
    ).rejects.toThrow(/name unknown/)
    await expect(
      skopeo('list-tags', '--tls-verify=false', ...creds, `docker://${host}/templates/seo`),
    ).rejects.toThrow(/404/)
    expect(
      JSON.parse(
        await skopeo('inspect', '--tls-verify=false', ...creds, ref(host, 'docs', 'latest')),
      ).Layers,
    ).toEqual([current(server!, 'docs').digest])
    const blob = await request(
      `${server!.url}/v2/templates/seo/blobs/${current(server!, 'seo').digest}`,
      {
        headers: { authorization: `Basic ${Buffer.from(`x:${SCOPED}`).toString('base64')}` },
      },
    )
    expect(blob.statusCode).toBe(404)
    expect(((await blob.body.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe(
      'NAME_UNKNOWN',
    )
  })

  it('two replicas fed by the same Gitea serve the same digests', async () => {
    const second = await startCache()
    for (const tag of ['latest', 'release-1.0']) {
      expect(await manifestDigest(second, 'seo', tag)).toBe(
        await manifestDigest(servers[0]!, 'seo', tag),
      )
    }
  })
})

describe.skipIf(missing.length > 0)('through docker-registry as a pull-through cache', () => {
  it('pulls through the mirror: same digest, same files', async () => {
    const [server] = servers
    const mirror = await startRegistry(mkdtempSync(join(dir, 'mirror-')), {
      proxy: { upstream: server!.url, username: 'mirror', password: TOKEN },
    })
    registries.push(mirror)
    const out = JSON.parse(
      await skopeo('inspect', '--tls-verify=false', ref(mirror.host, 'seo', 'latest')),
    )
    expect(out.Digest).toBe(await manifestDigest(server!, 'seo', 'latest'))
    const files = await copyAndUnpack(ref(mirror.host, 'seo', 'latest'), [])
    expect(files).toEqual(bundleFiles(server!, 'seo'))
  })

  it('a mirror holding a scoped token serves its templates only', async () => {
    const [server] = servers
    const mirror = await startRegistry(mkdtempSync(join(dir, 'scoped-')), {
      proxy: { upstream: server!.url, username: 'mirror', password: SCOPED },
    })
    registries.push(mirror)
    expect(await copyAndUnpack(ref(mirror.host, 'docs', 'latest'), [])).toEqual(
      bundleFiles(server!, 'docs'),
    )
    await expect(
      skopeo('inspect', '--tls-verify=false', ref(mirror.host, 'seo', 'latest')),
    ).rejects.toThrow()
  })
})
