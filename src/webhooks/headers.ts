// The parts of a webhook request that say what it is: the event and delivery headers (Gitea sends
// its own and, for compatibility, Gogs' and GitHub's names; Forgejo its own), and what the HMAC
// signature covers for each content type.

/** The bytes as text, read in place (Buffer.from(view) would copy them first). */
export const utf8 = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')

/**
 * What the signature covers: the raw body for JSON, the decoded `payload` field for a form. Any
 * other content type is checked over the raw body, so that an unsigned request gets 401 before
 * it learns which types are accepted; `supported: false` then answers 400 once it verified.
 */
export function signedContent(
  contentType: string,
  body: Uint8Array,
): { content: string | Uint8Array; supported: boolean } {
  const type = contentType.split(';')[0]!.trim().toLowerCase()
  if (type === 'application/json' || type === '') return { content: body, supported: true }
  if (type === 'application/x-www-form-urlencoded') {
    const payload = new URLSearchParams(utf8(body)).get('payload') ?? ''
    return { content: payload, supported: true }
  }
  return { content: body, supported: false }
}

export const EVENT_HEADERS = ['x-gitea-event', 'x-forgejo-event', 'x-gogs-event', 'x-github-event']
export const DELIVERY_HEADERS = [
  'x-gitea-delivery',
  'x-forgejo-delivery',
  'x-gogs-delivery',
  'x-github-delivery',
]

export function firstHeader(
  get: (n: string) => string | undefined,
  names: string[],
): string | undefined {
  for (const name of names) {
    const value = get(name)
    if (value !== undefined && value !== '') return value
  }
  return undefined
}
