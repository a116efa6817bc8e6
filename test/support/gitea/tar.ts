// Lists a `git archive` tar.gz (entries and the pax global header), for assertions in tests.
import { gunzipSync } from 'node:zlib'

export interface ArchiveEntry {
  name: string
  /** ustar typeflag: `0` file, `2` symlink, `5` directory, … */
  type: string
  mode: number
  size: number
  linkname: string
  content: Buffer
}

export interface ArchiveListing {
  /** The global pax header's `comment`: git archive writes the commit id there. */
  comment: string | null
  entries: ArchiveEntry[]
}

function field(block: Buffer, offset: number, length: number): string {
  const raw = block.subarray(offset, offset + length)
  const end = raw.indexOf(0)
  return raw.subarray(0, end === -1 ? raw.length : end).toString('utf8')
}

function octal(block: Buffer, offset: number, length: number): number {
  return Number.parseInt(field(block, offset, length).trim() || '0', 8)
}

/** `<len> key=value\n` records. */
function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {}
  let at = 0
  while (at < data.length) {
    const space = data.indexOf(0x20, at)
    if (space === -1) break
    const length = Number(data.subarray(at, space).toString('ascii'))
    if (!(length > 0)) break
    const record = data.subarray(space + 1, at + length - 1).toString('utf8')
    const eq = record.indexOf('=')
    out[record.slice(0, eq)] = record.slice(eq + 1)
    at += length
  }
  return out
}

/** Parses a small, trusted tar.gz in memory; throws on a truncated or corrupt one. */
export function listArchive(tgz: Uint8Array): ArchiveListing {
  const tar = gunzipSync(tgz)
  const entries: ArchiveEntry[] = []
  let comment: string | null = null
  let pax: Record<string, string> = {}
  let at = 0
  while (at + 512 <= tar.length) {
    const block = tar.subarray(at, at + 512)
    if (block.every((byte) => byte === 0)) break
    const size = octal(block, 124, 12)
    const type = String.fromCharCode(block[156] ?? 0x30)
    const content = tar.subarray(at + 512, at + 512 + size)
    if (content.length < size) throw new Error('tar entry truncated')
    at += 512 + Math.ceil(size / 512) * 512
    if (type === 'g') {
      comment = parsePax(content).comment ?? null
      continue
    }
    if (type === 'x') {
      pax = parsePax(content)
      continue
    }
    const prefix = field(block, 345, 155)
    const name = pax.path ?? (prefix ? `${prefix}/${field(block, 0, 100)}` : field(block, 0, 100))
    const linkname = pax.linkpath ?? field(block, 157, 100)
    entries.push({
      name,
      type: type === '\0' ? '0' : type,
      mode: octal(block, 100, 8),
      size,
      linkname,
      content,
    })
    pax = {}
  }
  return { comment, entries }
}
