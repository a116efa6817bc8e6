// The canonical bundle: a POSIX tar written by us, so the same files give the same bytes (and the
// same digest) on every replica. For each file, in UTF-8 byte order of path:
//   [pax header 'x' named "PaxHeader" with one `path` record, when the path is not printable
//    ASCII or is over 100 bytes]
//   ustar header: name (or "PaxHeader"), mode 0000644/0000755, uid/gid 0000000, size (11 octal
//   digits), mtime 0, typeflag '0', magic "ustar\0" version "00", empty link/uname/gname/prefix,
//   devmajor/devminor 0000000, checksum as 6 octal digits + NUL + space;
//   the body, zero-padded to 512 bytes;
// then two zero blocks, and nothing else.
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { IntegrityError } from '../errors.js'
import { checkEntryPath, compareUtf8 } from './paths.js'

export interface CanonicalFile {
  path: string
  mode: 0o644 | 0o755
  size: number
  /** When given, the body is hashed on the way out and must match (64 lowercase hex). */
  sha256?: string
  /** The body: exactly `size` bytes. Called once per written tar. */
  open(): Readable | AsyncIterable<Uint8Array>
}

const BLOCK = 512
const END = Buffer.alloc(2 * BLOCK)
const PAX_NAME = 'PaxHeader'
const padding = (size: number) => (BLOCK - (size % BLOCK)) % BLOCK

function fitsUstarName(path: string): boolean {
  return path.length <= 100 && /^[\x20-\x7e]*$/.test(path)
}

/** `"<len> path=<path>\n"`, where `len` counts the whole record including its own digits. */
function paxPathRecord(path: string): Buffer {
  const rest = Buffer.byteLength(` path=${path}\n`)
  let length = rest + String(rest).length
  if (String(length).length !== String(rest).length) length = rest + String(length).length
  return Buffer.from(`${length} path=${path}\n`)
}

function octal(value: number, digits: number): string {
  return `${value.toString(8).padStart(digits, '0')}\0`
}

function ustarHeader(name: string, mode: number, size: number, typeflag: '0' | 'x'): Buffer {
  const block = Buffer.alloc(BLOCK)
  block.write(name, 0, 100, 'latin1')
  block.write(octal(mode, 7), 100, 'latin1')
  block.write(octal(0, 7), 108, 'latin1')
  block.write(octal(0, 7), 116, 'latin1')
  block.write(octal(size, 11), 124, 'latin1')
  block.write(octal(0, 11), 136, 'latin1')
  block.fill(0x20, 148, 156)
  block.write(typeflag, 156, 'latin1')
  block.write('ustar\u000000', 257, 'latin1')
  block.write(octal(0, 7), 329, 'latin1')
  block.write(octal(0, 7), 337, 'latin1')
  let sum = 0
  for (const byte of block) sum += byte
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1')
  return block
}

/** Everything written before a file's body. */
function canonicalHeader(path: string, mode: 0o644 | 0o755, size: number): Buffer {
  if (fitsUstarName(path)) return ustarHeader(path, mode, size, '0')
  const record = paxPathRecord(path)
  return Buffer.concat([
    ustarHeader(PAX_NAME, 0o644, record.length, 'x'),
    record,
    Buffer.alloc(padding(record.length)),
    ustarHeader(PAX_NAME, mode, size, '0'),
  ])
}

function headerLength(path: string): number {
  if (fitsUstarName(path)) return BLOCK
  const record = paxPathRecord(path).length
  return 2 * BLOCK + record + padding(record)
}

/** Byte length of the canonical tar of `files`, known before writing it. */
export function canonicalTarSize(files: readonly Pick<CanonicalFile, 'path' | 'size'>[]): number {
  let total = END.length
  for (const { path, size } of files) total += headerLength(path) + size + padding(size)
  return total
}

function sorted<T extends Pick<CanonicalFile, 'path' | 'mode' | 'size'>>(files: readonly T[]): T[] {
  const list = [...files].sort((a, b) => compareUtf8(a.path, b.path))
  list.forEach((file, i) => {
    if (checkEntryPath(file.path) !== null)
      throw new TypeError(`bad path ${JSON.stringify(file.path)}`)
    if (file.mode !== 0o644 && file.mode !== 0o755) throw new TypeError(`bad mode for ${file.path}`)
    if (!Number.isSafeInteger(file.size) || file.size < 0) {
      throw new TypeError(`bad size for ${file.path}`)
    }
    if (i > 0 && list[i - 1]!.path === file.path) throw new TypeError(`duplicate ${file.path}`)
  })
  return list
}

async function* tarChunks(files: readonly CanonicalFile[]): AsyncGenerator<Buffer> {
  for (const file of files) {
    yield canonicalHeader(file.path, file.mode, file.size)
    const hash = file.sha256 === undefined ? null : createHash('sha256')
    let seen = 0
    for await (const chunk of file.open()) {
      seen += chunk.length
      if (seen > file.size) throw new IntegrityError('EBADSIZE', file.size, seen)
      hash?.update(chunk)
      yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length)
    }
    if (seen !== file.size) throw new IntegrityError('EBADSIZE', file.size, seen)
    const found = hash?.digest('hex')
    if (found !== undefined && found !== file.sha256) {
      throw new IntegrityError('EINTEGRITY', file.sha256!, found)
    }
    if (padding(file.size) > 0) yield Buffer.alloc(padding(file.size))
  }
  yield END
}

/** The canonical tar of `files` (any order in; sorted out). Bodies are read lazily, one at a time. */
export function canonicalTar(files: readonly CanonicalFile[]): Readable {
  return Readable.from(tarChunks(sorted(files)), { objectMode: false })
}
