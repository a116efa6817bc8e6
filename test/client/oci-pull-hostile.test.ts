// `pull oci://` against lying registries: a stand-in on an ephemeral port (a real registry cannot
// be made to lie). Every lie is refused with a stable code and DIR left exactly as it was; a
// redirect to blob storage never carries the credentials.
import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { pullOci } from '../../src/client/oci.js'
import { bundleOf } from './stub-server.js'

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`

type Answer = { status?: number; headers?: Record<string, string>; body?: Buffer }
type Route = Answer | ((headers: IncomingHttpHeaders) => Answer)
const routes = new Map<string, Route>()
const seen: { url: string; headers: IncomingHttpHeaders }[] = []
let liar: Server
let host: string
let tar: Buffer
let dir: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'asset-cache-oci-liar-'))
  tar = await bundleOf([
    { path: 'config.yaml', body: 'name: t\n' },
    { path: 'prompts/a.md', body: 'hello\n' },
  ])
  liar = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers })
    const found = routes.get(req.url ?? '')
    if (!found) return void res.writeHead(404).end()
    const route = typeof found === 'function' ? found(req.headers) : found
    const body = route.body ?? Buffer.alloc(0)
    res.writeHead(route.status ?? 200, { 'content-length': body.length, ...route.headers })
    res.end(body)
  })
  await new Promise<void>((r) => liar.listen(0, '127.0.0.1', r))
  host = `127.0.0.1:${(liar.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((r) => liar.close(() => r())))
beforeEach(() => {
  routes.clear()
  seen.length = 0
})

/** An image whose one layer is `layer` (described as `described`), served under /v2/t. */
function image(
  layer: Buffer,
  described: Partial<{ digest: string; mediaType: string; layers: number }> = {},
) {
  const config = Buffer.from(JSON.stringify({ rootfs: { type: 'layers', diff_ids: [sha(tar)] } }))
  const descriptor = {
    mediaType: described.mediaType ?? 'application/vnd.oci.image.layer.v1.tar',
    digest: described.digest ?? sha(layer),
    size: layer.length,
  }
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: sha(config),
        size: config.length,
      },
      layers: Array.from({ length: described.layers ?? 1 }, () => descriptor),
    }),
  )
  routes.set('/v2/t/manifests/latest', {
    headers: { 'content-type': OCI_MANIFEST },
    body: manifest,
  })
  routes.set(`/v2/t/blobs/${sha(config)}`, { body: config })
  routes.set(`/v2/t/blobs/${descriptor.digest}`, { body: layer })
  return { manifest, descriptor }
}

async function refused(code: string, token?: string) {
  const into = mkdtempSync(join(dir, 'into-'))
  await expect(pullOci(`oci://${host}/t:latest`, { into, token })).rejects.toMatchObject({ code })
  expect(readdirSync(into)).toEqual([])
}

describe('a lying registry', () => {
  it('is trusted for nothing: the honest image pulls', async () => {
    image(tar)
    const into = mkdtempSync(join(dir, 'into-'))
    expect(await pullOci(`oci://${host}/t:latest`, { into })).toMatchObject({ digest: sha(tar) })
  })

  it('refuses a layer whose bytes are not its digest', async () => {
    const tampered = Buffer.from(tar)
    tampered[512] = tampered[512]! ^ 1 // a byte of the first file's content
    image(tampered, { digest: sha(tar) })
    await refused('EINTEGRITY')
  })

  it('refuses a gzip layer that inflates to something other than the diff_id', async () => {
    const other = await bundleOf([{ path: 'config.yaml', body: 'name: other\n' }])
    image(gzipSync(other), { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' })
    await refused('EINTEGRITY')
  })

  it('refuses a manifest fetched by digest whose bytes are another', async () => {
    const { manifest } = image(tar)
    const wrong = `sha256:${'0'.repeat(64)}`
    routes.set(`/v2/t/manifests/${wrong}`, {
      body: manifest,
      headers: { 'content-type': OCI_MANIFEST },
    })
    const into = mkdtempSync(join(dir, 'into-'))
    await expect(pullOci(`oci://${host}/t@${wrong}`, { into })).rejects.toMatchObject({
      code: 'BAD_RESPONSE',
    })
  })

  it('refuses a tag whose Docker-Content-Digest is not its bytes', async () => {
    image(tar)
    const answer = routes.get('/v2/t/manifests/latest') as Answer
    answer.headers!['docker-content-digest'] = `sha256:${'1'.repeat(64)}`
    await refused('BAD_RESPONSE')
  })

  it('refuses images that are not one tar layer, and layer types it does not know', async () => {
    image(tar, { layers: 2 })
    await refused('BAD_RESPONSE')
    image(tar, { mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd' })
    await refused('BAD_RESPONSE')
  })

  it('follows a blob redirect to storage without the credentials', async () => {
    const { descriptor } = image(tar)
    routes.set(`/v2/t/blobs/${descriptor.digest}`, {
      status: 307,
      headers: { location: `http://localhost:${host.split(':')[1]}/storage/blob` },
    })
    routes.set('/storage/blob', { body: tar })
    // The registry asks for Basic; the token goes to it and nowhere else.
    const manifest = routes.get('/v2/t/manifests/latest') as Answer
    routes.set('/v2/t/manifests/latest', (headers) =>
      headers.authorization
        ? manifest
        : { status: 401, headers: { 'www-authenticate': 'Basic realm="liar"' } },
    )
    const into = mkdtempSync(join(dir, 'into-'))
    await pullOci(`oci://${host}/t:latest`, { into, token: 'secret-token', user: 'u' })
    const storage = seen.find((r) => r.url === '/storage/blob')!
    expect(storage.headers.authorization).toBeUndefined()
    const blob = seen.find((r) => r.url.startsWith('/v2/t/blobs/'))!
    expect(blob.headers.authorization).toBe(
      `Basic ${Buffer.from('u:secret-token').toString('base64')}`,
    )
  })
})
