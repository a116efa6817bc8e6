// A registry that supports the referrers API, as far as a pushing client can tell: a plain
// forwarding front to a real registry that answers each successful manifest PUT carrying a
// `subject` with `OCI-Subject: <subject digest>` (Distribution Spec v1.1) and keeps those
// subjects. Every request is recorded (method and path).
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { request } from 'undici'

export interface SubjectFront {
  url: string
  host: string
  requests: { method: string; path: string }[]
  /** manifest digest → its subject's digest, for every manifest with a subject pushed. */
  subjects: Map<string, string>
  stop(): Promise<void>
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** The digest of a manifest body's `subject`, or null. */
function subjectOf(payload: Buffer): string | null {
  try {
    const digest = (JSON.parse(payload.toString()) as { subject?: { digest?: unknown } }).subject
      ?.digest
    return typeof digest === 'string' ? digest : null
  } catch {
    return null
  }
}

export async function startSubjectFront(upstream: string): Promise<SubjectFront> {
  const requests: SubjectFront['requests'] = []
  const subjects = new Map<string, string>()
  let base = ''
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', base)
    requests.push({ method: req.method ?? '', path: url.pathname })
    const payload = await body(req)
    const headers: Record<string, string> = {}
    for (const h of ['content-type', 'content-length', 'accept']) {
      const v = req.headers[h]
      if (typeof v === 'string') headers[h] = v
    }
    const up = await request(`${upstream}${url.pathname}${url.search}`, {
      method: req.method as 'GET',
      headers,
      ...(payload.length > 0 || req.method === 'PUT' ? { body: payload } : {}),
    })
    const out: Record<string, string> = {}
    for (const [k, v] of Object.entries(up.headers)) {
      if (typeof v !== 'string' || k === 'connection' || k === 'transfer-encoding') continue
      out[k] = k === 'location' ? v.replace(upstream, base) : v
    }
    const subject = subjectOf(payload)
    const manifestPut = req.method === 'PUT' && url.pathname.includes('/manifests/')
    if (manifestPut && up.statusCode === 201 && subject !== null) {
      out['oci-subject'] = subject
      subjects.set(out['docker-content-digest'] ?? '', subject)
    }
    res.writeHead(up.statusCode, out)
    res.end(Buffer.from(await up.body.arrayBuffer()))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  base = `http://127.0.0.1:${port}`
  return {
    url: base,
    host: `127.0.0.1:${port}`,
    requests,
    subjects,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
