// Path rules shared by the archive reader and the provisioner client. A name is accepted only when
// it is already canonical: nothing here repairs a path.
import type { RejectCode } from '../errors.js'
import { isAgentOwned } from './agent-owned.js'
import type { BundleLimits } from './limits.js'
import { foldCase, hasOnlyKeptNameCharacters, hasOnlyNameCharacters } from './names.js'
import { isReservedPath } from './reserved.js'

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** Strict UTF-8 decoding of a raw tar name; null when the bytes are not valid UTF-8. */
export function decodeName(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes)
  } catch {
    return null
  }
}

/**
 * Rules for every entry, kept or not, on a decoded name without its directory slash.
 * Order: absolute, character, traversal, canonical form, `.git`.
 */
export function checkEntryPath(path: string): RejectCode | null {
  if (path.startsWith('/')) return 'PATH_ABSOLUTE'
  if (!hasOnlyNameCharacters(path)) return 'PATH_BAD_CHARACTER'
  const segments = path.split('/')
  if (segments.includes('..')) return 'PATH_TRAVERSAL'
  if (segments.some((s) => s === '' || s === '.')) return 'PATH_NOT_CANONICAL'
  if (segments.some((s) => foldCase(s) === '.git')) return 'GIT_METADATA'
  return null
}

/** Length and depth limits, on the path as stored in the bundle (after the prefix is stripped). */
export function checkPathLimits(
  path: string,
  limits: Pick<BundleLimits, 'maxPathBytes' | 'maxPathSegments'>,
): RejectCode | null {
  if (Buffer.byteLength(path, 'utf8') > limits.maxPathBytes) return 'PATH_TOO_LONG'
  if (path.split('/').length > limits.maxPathSegments) return 'PATH_TOO_DEEP'
  return null
}

// Windows device names, reserved with any extension (`CON.txt`, `com1.tar.gz`).
const RESERVED = /^(con|prn|aux|nul|conin\$|conout\$|com[1-9¹²³]|lpt[1-9¹²³])(\..*)?$/iu

function isPortableSegment(segment: string): boolean {
  if (segment.includes('\\') || segment.includes(':')) return false
  if (segment.endsWith('.') || segment.endsWith(' ')) return false
  return !RESERVED.test(segment)
}

/** Extra rules for a kept file. Order: characters, portability, NFC, agent-owned, reserved. */
export function checkKeptPath(path: string): RejectCode | null {
  if (!hasOnlyKeptNameCharacters(path)) return 'PATH_BAD_CHARACTER'
  if (!path.split('/').every(isPortableSegment)) return 'PATH_NOT_PORTABLE'
  if (path.normalize('NFC') !== path) return 'PATH_NOT_NFC'
  if (isAgentOwned(path)) return 'AGENT_OWNED_PATH'
  if (isReservedPath(path)) return 'RESERVED_PATH'
  return null
}

/**
 * Every path rule that applies to one file of a bundle (entry rules, limits, kept rules), for a
 * reader of canonical bundles such as the provisioner client. Null when the path is acceptable.
 */
export function checkPath(
  path: string,
  limits: Pick<BundleLimits, 'maxPathBytes' | 'maxPathSegments'> = {
    maxPathBytes: 1024,
    maxPathSegments: 32,
  },
): RejectCode | null {
  return checkEntryPath(path) ?? checkPathLimits(path, limits) ?? checkKeptPath(path)
}

/** Orders paths by their UTF-8 bytes, the order of a canonical bundle. */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}
