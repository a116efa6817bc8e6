// Hand-made tar blocks, for the hostile archives tar-stream's packer refuses to write: raw
// typeflags, bad checksums and numbers, pax and GNU long-name records, arbitrary name bytes.
import { gzipSync } from 'node:zlib'

export const BLOCK = 512
export const END = Buffer.alloc(2 * BLOCK)
/** A commit id as git archive writes it in the global pax comment. */
export const COMMIT = '5c635b068705328215a4635fd12b0155b220c309'

type Bytes = string | Uint8Array
const bytes = (value: Bytes) =>
  typeof value === 'string' ? Buffer.from(value) : Buffer.from(value)
const pad = (buf: Buffer) =>
  Buffer.concat([buf, Buffer.alloc((BLOCK - (buf.length % BLOCK)) % BLOCK)])
const octal = (value: number, width: number) => `${value.toString(8).padStart(width - 1, '0')}\0`

export interface HeaderSpec {
  name: Bytes
  /** ustar prefix field (joined as `prefix/name` by readers). */
  prefix?: Bytes
  mode?: number
  /** Raw 8-byte mode field, instead of `mode`. */
  modeField?: Bytes
  size?: number
  /** Raw 12-byte size field, instead of `size` (base-256, `12abc`...). */
  sizeField?: Bytes
  /** One character or a raw byte; default '0'. */
  typeflag?: string | number
  linkname?: Bytes
  magic?: 'ustar' | 'gnu' | 'none'
  mtime?: number
  uid?: number
  /** A raw checksum value to write instead of the right one. */
  checksum?: number
}

export function header(spec: HeaderSpec): Buffer {
  const block = Buffer.alloc(BLOCK)
  bytes(spec.name).copy(block, 0, 0, 100)
  if (spec.modeField !== undefined) bytes(spec.modeField).copy(block, 100, 0, 8)
  else block.write(octal(spec.mode ?? 0o664, 8), 100, 'latin1')
  block.write(octal(spec.uid ?? 0, 8), 108, 'latin1')
  block.write(octal(0, 8), 116, 'latin1')
  if (spec.sizeField !== undefined) bytes(spec.sizeField).copy(block, 124, 0, 12)
  else block.write(octal(spec.size ?? 0, 12), 124, 'latin1')
  block.write(octal(spec.mtime ?? 1_700_000_000, 12), 136, 'latin1')
  const flag = spec.typeflag ?? '0'
  block[156] = typeof flag === 'number' ? flag : flag.charCodeAt(0)
  if (spec.linkname !== undefined) bytes(spec.linkname).copy(block, 157, 0, 100)
  const magic = spec.magic ?? 'ustar'
  if (magic === 'ustar') block.write('ustar\u000000', 257, 'latin1')
  if (magic === 'gnu') block.write('ustar  \u0000', 257, 'latin1')
  block.write('root', 265, 'latin1')
  block.write('root', 297, 'latin1')
  if (spec.prefix !== undefined) bytes(spec.prefix).copy(block, 345, 0, 155)
  block.fill(0x20, 148, 156)
  let sum = 0
  for (const b of block) sum += b
  block.write(octal(spec.checksum ?? sum, 8), 148, 'latin1')
  return block
}

/** `"<len> <key>=<value>\n"` records with their self-counting lengths. */
export function paxRecords(records: [string, Bytes][]): Buffer {
  return Buffer.concat(
    records.map(([key, value]) => {
      const rest = Buffer.concat([Buffer.from(` ${key}=`), bytes(value), Buffer.from('\n')])
      let length = rest.length + String(rest.length).length
      if (String(length).length !== String(rest.length).length) {
        length = rest.length + String(length).length
      }
      return Buffer.concat([Buffer.from(String(length)), rest])
    }),
  )
}

/** A pax extended ('x') or global ('g') header with its body. */
export function pax(records: [string, Bytes][] | Buffer, typeflag: 'x' | 'g' = 'x'): Buffer {
  const body = Buffer.isBuffer(records) ? records : paxRecords(records)
  const name = typeflag === 'g' ? 'pax_global_header' : 'PaxHeader'
  return Buffer.concat([header({ name, typeflag, size: body.length }), pad(body)])
}

/** A GNU long name ('L') or long link ('K') header: the name plus its NUL. */
export function longName(name: Bytes, typeflag: 'L' | 'K' = 'L'): Buffer {
  const body = Buffer.concat([bytes(name), Buffer.alloc(1)])
  return Buffer.concat([
    header({ name: '././@LongLink', typeflag, size: body.length, magic: 'gnu' }),
    pad(body),
  ])
}

export function file(name: Bytes, body: Bytes = '', spec: Partial<HeaderSpec> = {}): Buffer {
  const data = bytes(body)
  return Buffer.concat([header({ name, size: data.length, ...spec }), pad(data)])
}

export function dir(name: Bytes, spec: Partial<HeaderSpec> = {}): Buffer {
  return header({ name, typeflag: '5', mode: 0o775, ...spec })
}

export function symlink(name: Bytes, target: Bytes): Buffer {
  return header({ name, typeflag: '2', linkname: target, mode: 0o777 })
}

/** Blocks, then the end marker, zero-padded to a 10240-byte record like git archive. */
export function tarOf(...parts: Buffer[]): Buffer {
  const body = Buffer.concat([...parts, END])
  return Buffer.concat([body, Buffer.alloc((10240 - (body.length % 10240)) % 10240)])
}

export const CONFIG = 'name: demo\n'

/**
 * A git-archive-shaped tar: the global pax comment, the top-level directory, a valid
 * `config.yaml`, then `entries` (named with `root/` by the caller).
 */
export function templateTar(
  entries: Buffer[],
  { root = 'tpl', commit = COMMIT, config = true } = {},
): Buffer {
  return tarOf(
    pax([['comment', commit]], 'g'),
    dir(`${root}/`),
    ...(config ? [file(`${root}/config.yaml`, CONFIG)] : []),
    ...entries,
  )
}

export const gz = (tar: Buffer, level = 6) => gzipSync(tar, { level })
