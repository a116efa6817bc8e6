// A registry that supports the referrers API, as far as a pushing client can tell: a plain
// forwarding front to a real registry that answers each successful manifest PUT carrying a
// `subject` with `OCI-Subject: <subject digest>` (Distribution Spec v1.1) and keeps those
// subjects. Every request is recorded (method and path).
import { bodyOf, type Front, forward, listenFront } from './registry-front.js'

export interface SubjectFront extends Front {
  requests: { method: string; path: string }[]
  /** manifest digest → its subject's digest, for every manifest with a subject pushed. */
  subjects: Map<string, string>
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

/**
 * `refuse`: instead, a registry that takes no artifacts at all: every manifest PUT carrying a
 * `subject` answers 400 MANIFEST_INVALID without reaching the registry.
 */
export async function startSubjectFront(
  upstream: string,
  options: { refuse?: boolean } = {},
): Promise<SubjectFront> {
  const requests: SubjectFront['requests'] = []
  const subjects = new Map<string, string>()
  const front = await listenFront(async (req, res, base) => {
    const url = new URL(req.url ?? '/', base)
    requests.push({ method: req.method ?? '', path: url.pathname })
    const payload = await bodyOf(req)
    const subject = subjectOf(payload)
    const manifestPut = req.method === 'PUT' && url.pathname.includes('/manifests/')
    if (options.refuse && manifestPut && subject !== null) {
      res.writeHead(400, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ errors: [{ code: 'MANIFEST_INVALID', message: 'no artifacts' }] }))
      return
    }
    const up = await forward(req, payload, upstream, base)
    if (manifestPut && up.status === 201 && subject !== null) {
      up.headers['oci-subject'] = subject
      subjects.set(up.headers['docker-content-digest'] ?? '', subject)
    }
    res.writeHead(up.status, up.headers)
    res.end(up.body)
  })
  return { ...front, requests, subjects }
}
