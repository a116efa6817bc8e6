// On-disk layout of a content store: blobs/sha256/ab/cd/<hex>, tmp/, quarantine/ and evicting/,
// and digest → path.
import { join } from 'node:path'
import { digestHex } from '../digest.js'
import { AppError } from '../errors.js'

export const BLOBS_DIR = join('blobs', 'sha256')
export const TMP_DIR = 'tmp'
export const QUARANTINE_DIR = 'quarantine'
export const EVICTING_DIR = 'evicting'

/**
 * The hex of a well-formed digest. Everything else is INVALID_DIGEST before it comes near a
 * path, so no caller-supplied string (`sha256:../..`, uppercase, padding) ever names a file.
 */
export function blobHex(digest: unknown): string {
  const hex = typeof digest === 'string' ? digestHex(digest) : null
  if (hex === null) {
    const shown = typeof digest === 'string' ? digest.slice(0, 100) : typeof digest
    throw new AppError('INVALID_DIGEST', 'digest must be sha256:<64 lowercase hex>', {
      digest: shown,
    })
  }
  return hex
}

/** Two levels of fan-out (ab/cd) keep every directory small however many blobs there are. */
export function blobPath(dir: string, hex: string): string {
  return join(dir, BLOBS_DIR, hex.slice(0, 2), hex.slice(2, 4), hex)
}
