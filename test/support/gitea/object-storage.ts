// A second loopback server standing in for the object storage Gitea redirects archive downloads
// to (`[storage.repo-archive] STORAGE_TYPE=minio` with `SERVE_DIRECT=true`). It serves what the
// fake Gitea stored under a presigned-looking URL, and records a violation — answering as S3
// does to a request carrying two auth mechanisms — whenever a request carries an Authorization
// header or a cookie: the Gitea token must never leave Gitea's origin.
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface StorageRequest {
  path: string
  /** Header names, lower-cased, as received. */
  headers: string[]
}

export interface ObjectStorage {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string
  readonly requests: StorageRequest[]
  /** One line per request that carried credentials it must never see; a test expects none. */
  readonly violations: string[]
  /** Stores `bytes` and returns a presigned-style URL for them (query-string signature). */
  put(name: string, bytes: Buffer, fileName: string): string
  stop(): Promise<void>
}

export async function startObjectStorage(): Promise<ObjectStorage> {
  const objects = new Map<string, Buffer>()
  const requests: StorageRequest[] = []
  const violations: string[] = []
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!
    requests.push({ path, headers: Object.keys(req.headers) })
    const leaked = ['authorization', 'cookie', 'proxy-authorization'].filter(
      (name) => req.headers[name] !== undefined,
    )
    if (leaked.length > 0) {
      violations.push(`${req.method} ${path} carried ${leaked.join(', ')}`)
      const body =
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified</Message></Error>'
      res.writeHead(400, { 'Content-Type': 'application/xml' })
      res.end(body)
      return
    }
    const object = objects.get(path)
    if (!object) {
      res.writeHead(404, { 'Content-Type': 'application/xml' })
      res.end('<Error><Code>NoSuchKey</Code></Error>')
      return
    }
    res.writeHead(200, {
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(object.length),
      'Accept-Ranges': 'bytes',
      ETag: `"${randomBytes(8).toString('hex')}"`,
    })
    res.end(req.method === 'HEAD' ? undefined : object)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const url = `http://127.0.0.1:${port}`
  return {
    url,
    requests,
    violations,
    put(name, bytes, fileName) {
      const path = `/gitea/repo-archive/${name}`
      objects.set(path, bytes)
      // MinIO's PresignedGetObject: valid 5 minutes, with the download name as a response header.
      const query = new URLSearchParams({
        'response-content-disposition': `attachment; filename="${fileName}"`,
        'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
        'X-Amz-Credential': 'gitea/20260101/us-east-1/s3/aws4_request',
        'X-Amz-Date': '20260101T000000Z',
        'X-Amz-Expires': '300',
        'X-Amz-SignedHeaders': 'host',
        'X-Amz-Signature': randomBytes(32).toString('hex'),
      })
      return `${url}${path}?${query}`
    },
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeAllConnections()
      await closed
    },
  }
}
