// OCI names for templates (OCI Distribution Spec v1.1, "Pulling manifests"): repository names,
// tags and references. Everything here is an allowlist over the raw characters: what does not
// match is refused, never repaired.
//
// Repositories: a template whose name is one valid path component is `templates/<name>`; any
// other template name (e.g. `seo-`, `a..b`: valid template names, not valid components) is
// `templates-b32/<base32 of the name>` (RFC 4648 alphabet, lower case, no padding), which is one
// valid component for every input and decodes back to exactly one name. A base32 form of a name
// that also fits `templates/` is refused, so every template has exactly one repository name.
//
// Tags: `latest`, every ready commit's full sha, and the tracked ref mapped into the tag grammar
// (every character outside `[A-Za-z0-9._-]` becomes `-`, a leading `.` or `-` gets a `_` in
// front, cut at 128). A ref that maps onto a reserved tag (`latest`, 40 or 64 hex) gets no tag.

import { OBJECT_ID } from '../gitea/object-id.js'

/** One path component of a repository name. */
const COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/
/** The whole name grammar, `component(/component)*`. */
const NAME = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/
/** Names longer than this are refused (clients cap host + `/` + name at 255 characters). */
export const MAX_NAME_LENGTH = 255
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/
/** The digest grammar: `algorithm:encoded`. */
const DIGEST_GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/
const SHA256 = /^sha256:[0-9a-f]{64}$/
/** Template names as the manifest allows them (config.ts). */
const TEMPLATE = /^[a-z0-9][a-z0-9._-]{0,127}$/

export const PLAIN_PREFIX = 'templates/'
export const ENCODED_PREFIX = 'templates-b32/'
export const LATEST = 'latest'

const B32 = 'abcdefghijklmnopqrstuvwxyz234567'

function base32(text: string): string {
  const bytes = Buffer.from(text, 'utf8')
  let out = ''
  let bits = 0
  let value = 0
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
    value &= (1 << bits) - 1
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31]
  return out
}

/** The text `encoded` stands for, or null when it is not the canonical base32 of any ASCII text. */
function unbase32(encoded: string): string | null {
  let bits = 0
  let value = 0
  let out = ''
  for (const ch of encoded) {
    const digit = B32.indexOf(ch)
    if (digit === -1) return null
    value = (value << 5) | digit
    bits += 5
    if (bits >= 8) {
      const byte = (value >>> (bits - 8)) & 255
      if (byte > 0x7f) return null
      out += String.fromCharCode(byte)
      bits -= 8
    }
    value &= (1 << bits) - 1
  }
  // Leftover bits must be zero padding, so that each text has exactly one encoding.
  if (bits >= 5 || value !== 0) return null
  return out
}

export function isValidName(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && NAME.test(name)
}

/** The repository name of template `template`. */
export function repositoryOf(template: string): string {
  return COMPONENT.test(template)
    ? `${PLAIN_PREFIX}${template}`
    : `${ENCODED_PREFIX}${base32(template)}`
}

/** The template a repository name stands for, or null when it names none (whatever exists). */
export function templateOf(repository: string): string | null {
  if (repository.startsWith(PLAIN_PREFIX)) {
    const rest = repository.slice(PLAIN_PREFIX.length)
    return COMPONENT.test(rest) && TEMPLATE.test(rest) ? rest : null
  }
  if (repository.startsWith(ENCODED_PREFIX)) {
    const rest = repository.slice(ENCODED_PREFIX.length)
    if (rest.length === 0 || rest.length > 256) return null
    const name = unbase32(rest)
    if (name === null || !TEMPLATE.test(name) || COMPONENT.test(name)) return null
    return name
  }
  return null
}

export function isValidTag(tag: string): boolean {
  return TAG.test(tag)
}

/** Whether `tag` is one the cache gives a fixed meaning (a ref never takes it). */
export function isReservedTag(tag: string): boolean {
  return tag === LATEST || OBJECT_ID.test(tag)
}

/** The tag for a tracked ref, or null when the mapped ref would take a reserved tag. */
export function refTag(ref: string): string | null {
  let tag = ref.replace(/[^A-Za-z0-9._-]/gu, '-')
  if (!/^[A-Za-z0-9_]/.test(tag)) tag = `_${tag}`
  tag = tag.slice(0, 128)
  return isReservedTag(tag) ? null : tag
}

/** The tag for a commit: its full sha, when it is one. */
export function commitTag(commit: string | null): string | null {
  return commit !== null && OBJECT_ID.test(commit) ? commit : null
}

export type Reference =
  | { kind: 'tag'; tag: string }
  | { kind: 'digest'; digest: string }
  /** Well formed, but an algorithm or encoding the cache never stores: nothing can match. */
  | { kind: 'foreign' }
  | { kind: 'invalid-digest' }
  | { kind: 'invalid' }

/** A manifest reference: a tag, or a digest (only `sha256:<64 lowercase hex>` can exist here). */
export function parseReference(reference: string): Reference {
  if (TAG.test(reference)) return { kind: 'tag', tag: reference }
  return parseDigestRef(reference)
}

/** A blob or referrers digest. */
export function parseDigestRef(reference: string): Reference {
  if (SHA256.test(reference)) return { kind: 'digest', digest: reference }
  if (!DIGEST_GRAMMAR.test(reference))
    return reference.includes(':') ? { kind: 'invalid-digest' } : { kind: 'invalid' }
  // sha256 must be 64 lowercase hex (the spec's own rule); other algorithms are well formed.
  return reference.startsWith('sha256:') ? { kind: 'invalid-digest' } : { kind: 'foreign' }
}

export type Route =
  | { kind: 'manifest'; name: string; reference: string }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'tags'; name: string }
  | { kind: 'referrers'; name: string; digest: string }

/**
 * The route a raw request path under `/v2/` names (percent-encoding is never decoded: no valid
 * name or reference contains `%`), or null. Parsed from the end, so a repository may have a
 * component called `manifests` or `tags`. The name is returned as sent; check it with isValidName.
 */
export function parseRoute(path: string): Route | null {
  if (!path.startsWith('/v2/')) return null
  const parts = path.slice(4).split('/')
  if (parts.length < 3) return null
  const last = parts[parts.length - 1]!
  const action = parts[parts.length - 2]!
  const name = parts.slice(0, -2).join('/')
  if (action === 'tags' && last === 'list') return { kind: 'tags', name }
  if (last === '') return null
  if (action === 'manifests') return { kind: 'manifest', name, reference: last }
  if (action === 'blobs') return { kind: 'blob', name, digest: last }
  if (action === 'referrers') return { kind: 'referrers', name, digest: last }
  return null
}
