// A small stand-in for the asset-cache server's provisioner API (docs/api.md#provisioner-api),
// on 127.0.0.1 and an ephemeral port, with switches to make it lie.
import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { canonicalTar } from '../../src/bundle/index.js'

export const TOKEN = 'read-token'

export interface StubTemplate {
  digest: string
  commit: string
  tar: Buffer
}

export interface StubServer {
  url: string
  templates: Map<string, StubTemplate | 'not-ready'>
  /** Bundles by digest; a lying server may map a digest to any bytes. */
  bundles: Map<string, Buffer>
  /** Send this many bytes of the bundle, then cut the connection (Content-Length stays honest). */
  truncateAt: number | null
  /** Accept requests and never answer them. */
  stall: boolean
  /**
   * Answers an authorized request before the honest handler when it returns true: how a test makes
   * the server lie about anything (status, headers, framing, body).
   */
  lie: ((req: IncomingMessage, res: ServerResponse) => boolean) | null
  requests: { method: string; url: string; headers: IncomingMessage['headers'] }[]
  /** Back to an honest, empty server (between tests). */
  reset(): void
  close(): Promise<void>
}

function sendError(res: ServerResponse, status: number, code: string) {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ error: { code, message: code.toLowerCase(), requestId: 'req-1' } }))
}

export async function startStub(): Promise<StubServer> {
  const stub = {
    url: '',
    templates: new Map(),
    bundles: new Map(),
    truncateAt: null,
    stall: false,
    lie: null,
    requests: [],
    reset() {
      stub.templates.clear()
      stub.bundles.clear()
      stub.truncateAt = null
      stub.stall = false
      stub.lie = null
      stub.requests.length = 0
    },
  } as unknown as StubServer
  const server: Server = createServer((req, res) => {
    stub.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers })
    if (stub.stall) return
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return sendError(res, 401, 'UNAUTHORIZED')
    if (stub.lie?.(req, res)) return
    const url = new URL(req.url ?? '/', 'http://stub')
    let m = /^\/v1\/templates\/([^/]+)$/.exec(url.pathname)
    if (m) {
      const name = decodeURIComponent(m[1]!)
      const t = stub.templates.get(name)
      if (t === undefined) return sendError(res, 404, 'UNKNOWN_TEMPLATE')
      if (t === 'not-ready') {
        res.setHeader('retry-after', '30')
        return sendError(res, 503, 'NOT_READY')
      }
      const etag = `"${t.digest}"`
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { etag })
        return res.end()
      }
      res.writeHead(200, { 'content-type': 'application/json', etag })
      return res.end(
        JSON.stringify({
          name,
          repo: `acme/${name}`,
          ref: 'main',
          commit: t.commit,
          digest: t.digest,
          size: t.tar.length,
          fileCount: 1,
          readyAt: new Date(0).toISOString(),
          bundleUrl: `${stub.url}/v1/bundles/${t.digest}`,
        }),
      )
    }
    m = /^\/v1\/bundles\/([^/]+)$/.exec(url.pathname)
    if (m) {
      const digest = decodeURIComponent(m[1]!)
      if (!/^sha256:[0-9a-f]{64}$/.test(digest)) return sendError(res, 400, 'INVALID_DIGEST')
      const bytes = stub.bundles.get(digest)
      if (bytes === undefined) return sendError(res, 404, 'ENOTFOUND')
      res.writeHead(200, {
        'content-type': 'application/x-tar',
        'content-length': String(bytes.length),
        etag: `"${digest}"`,
        'repr-digest': `sha-256=:${createHash('sha256').update(bytes).digest('base64')}:`,
      })
      if (stub.truncateAt !== null) {
        res.write(bytes.subarray(0, stub.truncateAt), () => res.socket?.destroy())
        return
      }
      return res.end(bytes)
    }
    sendError(res, 404, 'NOT_FOUND')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  stub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  stub.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  return stub
}

export interface TestFile {
  path: string
  body: string
  mode?: 0o644 | 0o755
}

/** The canonical tar of `files`, as the real server would build it. */
export async function bundleOf(files: TestFile[]): Promise<Buffer> {
  const chunks: Buffer[] = []
  const tar = canonicalTar(
    files.map((f) => {
      const body = Buffer.from(f.body)
      return {
        path: f.path,
        mode: f.mode ?? 0o644,
        size: body.length,
        open: () => Readable.from([body]),
      }
    }),
  )
  for await (const chunk of tar) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

export function digestOfBytes(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
}

/** Serves `tar` as the current bundle of `name`, under its true digest. */
export function publish(stub: StubServer, name: string, tar: Buffer, commit = 'a'.repeat(40)) {
  const digest = digestOfBytes(tar)
  stub.templates.set(name, { digest, commit, tar })
  stub.bundles.set(digest, tar)
  return digest
}

export interface RawEntry {
  name: string
  /** '0' file, '2' symlink, '5' directory, '1' hard link... */
  type?: string
  body?: string
  mode?: number
  linkname?: string
}

/**
 * A tar written header by header, with no checks at all: what a hostile server would send.
 * ustar headers only (names up to 100 bytes).
 */
export function rawTar(entries: RawEntry[]): Buffer {
  const blocks: Buffer[] = []
  for (const e of entries) {
    const body = Buffer.from(e.body ?? '')
    const h = Buffer.alloc(512)
    h.write(e.name, 0, 100, 'utf8')
    h.write(`${(e.mode ?? 0o644).toString(8).padStart(7, '0')}\0`, 100, 'latin1')
    h.write('0000000\0', 108, 'latin1')
    h.write('0000000\0', 116, 'latin1')
    h.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124, 'latin1')
    h.write('00000000000\0', 136, 'latin1')
    h.fill(0x20, 148, 156)
    h.write(e.type ?? '0', 156, 'latin1')
    if (e.linkname) h.write(e.linkname, 157, 100, 'utf8')
    h.write('ustar\u000000', 257, 'latin1')
    let sum = 0
    for (const byte of h) sum += byte
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1')
    blocks.push(h, body, Buffer.alloc((512 - (body.length % 512)) % 512))
  }
  blocks.push(Buffer.alloc(1024))
  return Buffer.concat(blocks)
}
