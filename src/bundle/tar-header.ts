// The ustar header block (POSIX.1-1988 + pax, GNU magic) and pax records, parsed strictly: a field
// a lenient parser would read differently (`parseInt('12abc')`) is TAR_CORRUPT.
import { RejectError } from '../errors.js'

export const BLOCK = 512

/** 512-byte header layout: [offset, length]. */
const NAME = [0, 100] as const
const MODE = [100, 8] as const
const UID = [108, 8] as const
const GID = [116, 8] as const
const SIZE = [124, 12] as const
const MTIME = [136, 12] as const
const CHKSUM = [148, 8] as const
const TYPEFLAG = 156
const MAGIC = [257, 8] as const // magic (6) + version (2)
const PREFIX = [345, 155] as const

const USTAR = Buffer.from('ustar\u000000', 'latin1')
const GNU = Buffer.from('ustar  \u0000', 'latin1')

export interface RawHeader {
  /** Name bytes as a ustar reader joins them: `prefix/name` (ustar magic) or `name` (GNU magic). */
  name: Uint8Array
  /** The typeflag byte; NUL and '0' both mean a regular file. */
  typeflag: number
  mode: number
  size: number
}

export function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false
  return true
}

/** Bytes of a NUL-terminated field up to the first NUL, and whether anything but NUL follows it. */
export function cString(field: Uint8Array): { value: Uint8Array; clean: boolean } {
  const end = field.indexOf(0)
  if (end === -1) return { value: field, clean: true }
  return { value: field.subarray(0, end), clean: field.subarray(end).every((b) => b === 0) }
}

function corrupt(detail: string): RejectError {
  return new RejectError('TAR_CORRUPT', detail)
}

function field(block: Uint8Array, [offset, length]: readonly [number, number]): Uint8Array {
  return block.subarray(offset, offset + length)
}

/**
 * A numeric field: octal digits after optional spaces, ended by NUL or space to the field's end;
 * or, when `base256` is allowed, GNU base-256 (first byte 0x80, big-endian). Negative values
 * (first byte 0xff) and anything else are corrupt.
 */
function numeric(block: Uint8Array, at: readonly [number, number], name: string, base256 = false) {
  const bytes = field(block, at)
  const first = bytes[0]!
  if (first & 0x80) {
    if (!base256 || first !== 0x80) throw corrupt(`${name} field is not a non-negative number`)
    let value = 0
    for (const b of bytes.subarray(1)) value = value * 256 + b
    if (!Number.isSafeInteger(value)) throw corrupt(`${name} field is out of range`)
    return value
  }
  const text = Buffer.from(bytes).toString('latin1')
  const match = /^ *([0-7]+)[ \u0000]*$/.exec(text)
  if (!match) throw corrupt(`${name} field is not octal`)
  return Number.parseInt(match[1]!, 8)
}

function checksum(block: Uint8Array): number {
  let sum = 8 * 0x20 // the checksum field itself counts as spaces
  for (let i = 0; i < CHKSUM[0]; i++) sum += block[i]!
  for (let i = CHKSUM[0] + CHKSUM[1]; i < BLOCK; i++) sum += block[i]!
  return sum
}

/** Parses a non-zero header block; throws TAR_CORRUPT (checksum, magic, numeric fields). */
export function parseHeader(block: Uint8Array): RawHeader {
  if (numeric(block, CHKSUM, 'checksum') !== checksum(block)) {
    throw corrupt('header checksum mismatch')
  }
  const magic = field(block, MAGIC)
  const ustar = USTAR.equals(magic)
  if (!ustar && !GNU.equals(magic)) throw corrupt('header is neither ustar nor GNU')
  const mode = numeric(block, MODE, 'mode')
  numeric(block, UID, 'uid', true)
  numeric(block, GID, 'gid', true)
  numeric(block, MTIME, 'mtime', true)
  const size = numeric(block, SIZE, 'size', true)
  const name = cString(field(block, NAME))
  const prefix = ustar ? cString(field(block, PREFIX)) : { value: new Uint8Array(0), clean: true }
  if (!name.clean || !prefix.clean) {
    throw new RejectError('PATH_BAD_CHARACTER', 'NUL inside a header name field')
  }
  const joined =
    prefix.value.length > 0
      ? Buffer.concat([prefix.value, Buffer.from('/'), name.value])
      : Buffer.from(name.value)
  return { name: joined, typeflag: block[TYPEFLAG]!, mode, size }
}

/**
 * Pax extended header records, `"<len> <key>=<value>\n"` with `len` counting the whole record in
 * bytes. Keys must be unique; values stay raw bytes (UTF-8 by the standard).
 */
export function parsePaxRecords(body: Uint8Array): Map<string, Uint8Array> {
  const records = new Map<string, Uint8Array>()
  let at = 0
  while (at < body.length) {
    const space = body.indexOf(0x20, at)
    const digits = space === -1 ? '' : Buffer.from(body.subarray(at, space)).toString('latin1')
    if (!/^[1-9][0-9]{0,7}$/.test(digits)) throw corrupt('pax record length is not decimal')
    const end = at + Number(digits)
    if (end > body.length || body[end - 1] !== 0x0a) throw corrupt('pax record is cut short')
    const record = body.subarray(space + 1, end - 1)
    const eq = record.indexOf(0x3d)
    if (eq <= 0) throw corrupt('pax record has no key')
    const key = Buffer.from(record.subarray(0, eq)).toString('latin1')
    if (records.has(key)) throw corrupt(`pax key ${key} repeated`)
    records.set(key, record.subarray(eq + 1))
    at = end
  }
  return records
}
