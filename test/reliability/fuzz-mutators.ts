// Deterministic archive mutations for the archive fuzz: a seeded PRNG, tar-level mutations (bits,
// bytes, truncation, header fields, pax records, inserted entries, 512-byte block shuffles) and
// gzip-level ones (compressed-stream flips, header flags, trailer, extra members, trailing data).
// makeCase(seeds, fuzzSeed, index) is a pure function: the parent regenerates any case the child
// failed on, to write it out as a reproducer.
import { gzipSync } from 'node:zlib'
import type { BundleLimits } from '../../src/bundle/index.js'
import {
  BLOCK,
  dir,
  file,
  header,
  longName,
  pax,
  paxRecords,
  symlink,
} from '../bundle/helpers/tar.js'

export interface Seed {
  name: string
  /** The uncompressed tar mutations start from. */
  tar: Buffer
  /** The original tar.gz (git archive output), run once unmutated; else gzip(tar). */
  gz?: Buffer
  /** Passed as expectedCommit. */
  commit?: string
  /** The top-level directory, for inserted entries. */
  root: string
}

export interface FuzzCase {
  index: number
  seed: string
  ops: string[]
  bytes: Buffer
  expectedCommit: string | undefined
  /** Bytes per chunk fed to canonicalize (0 = one chunk). */
  chunk: number
  /** Tight limits for some cases, so that small archives reach the limit checks too. */
  limits: Partial<BundleLimits> | undefined
}

export type Rng = () => number

/** mulberry32: small, fast, good enough to pick mutations. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const int = (rng: Rng, n: number) => Math.floor(rng() * n)
const oneOf = <T>(rng: Rng, list: readonly T[]): T => list[int(rng, list.length)]!

/** The PRNG for case `index` of run `fuzzSeed`. */
export function caseRng(fuzzSeed: number, index: number): Rng {
  let h = (fuzzSeed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0
  return mulberry32((h ^ (h >>> 16)) >>> 0)
}

// --- tar structure --------------------------------------------------------------------------

interface HeaderAt {
  offset: number
  typeflag: number
  size: number
  /** End of the entry's data, padded to a block. */
  end: number
}

function octalField(buf: Buffer, offset: number, length: number): number | null {
  const text = buf
    .subarray(offset, offset + length)
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .trim()
  return /^[0-7]+$/.test(text) ? Number.parseInt(text, 8) : null
}

/** Best-effort walk over the headers of a (possibly already mutated) tar. */
export function headers(tar: Buffer): HeaderAt[] {
  const out: HeaderAt[] = []
  let at = 0
  while (at + BLOCK <= tar.length && out.length < 10_000) {
    const block = tar.subarray(at, at + BLOCK)
    if (block.every((b) => b === 0)) break
    const size = octalField(tar, at + 124, 12)
    if (size === null) break
    const end = at + BLOCK + Math.ceil(size / BLOCK) * BLOCK
    out.push({ offset: at, typeflag: tar[at + 156]!, size, end })
    at = end
  }
  return out
}

/** Writes a valid checksum into the header block at `offset`. */
export function fixChecksum(tar: Buffer, offset: number) {
  if (offset + BLOCK > tar.length) return
  tar.fill(0x20, offset + 148, offset + 156)
  let sum = 0
  for (let i = offset; i < offset + BLOCK; i++) sum += tar[i]!
  tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, offset + 148, 'latin1')
}

function writeField(tar: Buffer, at: number, length: number, value: Buffer) {
  tar.fill(0, at, at + length)
  value.copy(tar, at, 0, length)
}

function nameOf(tar: Buffer, offset: number): string {
  const raw = tar.subarray(offset, offset + 100)
  const nul = raw.indexOf(0)
  return raw.subarray(0, nul === -1 ? 100 : nul).toString('latin1')
}

// --- values ---------------------------------------------------------------------------------

const INTERESTING = [0x00, 0xff, 0x7f, 0x80, 0x20, 0x2f, 0x2e, 0x30, 0x37, 0x38, 0x0a, 0x5c]
const TYPEFLAGS = '01234567gxLKSVDMNA\0 Z'

/** Hostile rewrites of a path (as a string of latin1 bytes for non-UTF-8 ones). */
const PATH_MUTATIONS: readonly ((name: string, root: string) => Buffer)[] = [
  (n) => Buffer.from(`/${n}`),
  (n, r) => Buffer.from(`${r}/../${n.split('/').slice(1).join('/')}`),
  (n, r) => Buffer.from(`${r}/./${n.split('/').slice(1).join('/')}`),
  (n) => Buffer.from(n.replace('/', '//')),
  (n) => Buffer.concat([Buffer.from(n.slice(0, 4)), Buffer.from([0]), Buffer.from(n.slice(4))]),
  (n) => Buffer.from(`${n}\u202e`),
  (n) => Buffer.from(`${n}\u200b`),
  (n) => Buffer.from(`${n}\x01`),
  (n) => Buffer.concat([Buffer.from(n), Buffer.from([0xff, 0xc0, 0x80])]),
  (_n, r) => Buffer.from(`${r}/.git/config`),
  (_n, r) => Buffer.from(`${r}/prompts/.GiT/x`),
  (_n, r) => Buffer.from(`${r}/prompts/a\\b.md`),
  (_n, r) => Buffer.from(`${r}/prompts/a:b.md`),
  (_n, r) => Buffer.from(`${r}/prompts/x.md.`),
  (_n, r) => Buffer.from(`${r}/prompts/x.md `),
  (_n, r) => Buffer.from(`${r}/prompts/CON`),
  (_n, r) => Buffer.from(`${r}/prompts/cafe\u0301.md`),
  (_n, r) => Buffer.from(`${r}/CONFIG.YAML`),
  (_n, r) => Buffer.from(`${r}/config.yaml`),
  (_n, r) => Buffer.from(`${r}/config.yaml/x`),
  (_n, r) => Buffer.from(`${r}/prompts/CLAUDE.md`),
  (_n, r) => Buffer.from(`${r}/workspace/x`),
  (_n, r) => Buffer.from(`${r}/.claude/sessions/s`),
  (_n, r) => Buffer.from(`${r}2/config.yaml`),
  (_n, r) => Buffer.from(`${r}`),
  () => Buffer.from('config.yaml'),
  () => Buffer.from(''),
  () => Buffer.alloc(100, 0x61),
  (n) => Buffer.from(n.toUpperCase()),
  (n) => Buffer.from(`${n}/`),
  (_n, r) => Buffer.from(`${r}/prompts/${'d/'.repeat(40)}x`),
]

function hostilePath(rng: Rng, name: string, root: string): Buffer {
  if (rng() < 0.15) {
    const random = Buffer.alloc(1 + int(rng, 100))
    for (let i = 0; i < random.length; i++) random[i] = int(rng, 256)
    return random
  }
  return oneOf(rng, PATH_MUTATIONS)(name || `${root}/x`, root)
}

function numberField(rng: Rng, width: number, current: number): Buffer {
  const digits = width - 1
  const octal = (v: number) => Buffer.from(`${v.toString(8).padStart(digits, '0')}\0`, 'latin1')
  switch (int(rng, 12)) {
    case 0:
      return octal(0)
    case 1:
      return octal(current + 1)
    case 2:
      return octal(Math.max(0, current - 1))
    case 3:
      return Buffer.from('7'.repeat(digits), 'latin1') // no terminator, maximal
    case 4: {
      const b = Buffer.alloc(width) // base-256
      b[0] = 0x80
      b.writeUIntBE(int(rng, 2 ** 40), width - 6, 6)
      return b
    }
    case 5:
      return Buffer.alloc(width, 0xff) // base-256 negative
    case 6:
      return Buffer.from('12abc\0', 'latin1')
    case 7:
      return Buffer.from(`  ${current.toString(8)} `, 'latin1')
    case 8:
      return octal(int(rng, 2 ** 33))
    case 9:
      return Buffer.alloc(width) // all NUL
    case 10:
      return Buffer.from(`-${current.toString(8)}\0`, 'latin1')
    default:
      return octal(int(rng, 1 << 20))
  }
}

// --- tar-level mutations --------------------------------------------------------------------

type TarOp = (tar: Buffer, rng: Rng, seed: Seed) => Buffer

function randomBytes(rng: Rng, n: number): Buffer {
  const out = Buffer.alloc(n)
  for (let i = 0; i < n; i++) out[i] = int(rng, 256)
  return out
}

/** A header of the tar, preferring real entries over pax/global ones half the time. */
function pickHeader(tar: Buffer, rng: Rng): HeaderAt | null {
  const all = headers(tar)
  if (all.length === 0) return null
  return oneOf(rng, all)
}

const TAR_OPS: Record<string, TarOp> = {
  bitflip(tar, rng) {
    if (tar.length === 0) return tar
    for (let n = 1 + int(rng, 8); n > 0; n--) {
      const at = int(rng, tar.length)
      tar[at] = tar[at]! ^ (1 << int(rng, 8))
    }
    return tar
  },
  overwrite(tar, rng) {
    if (tar.length === 0) return tar
    // Mostly inside headers: that is where the parsers decide things.
    const hs = headers(tar)
    for (let n = 1 + int(rng, 4); n > 0; n--) {
      const h = hs.length > 0 && rng() < 0.7 ? oneOf(rng, hs) : null
      const at = h ? h.offset + int(rng, BLOCK) : int(rng, tar.length)
      if (at < tar.length) tar[at] = rng() < 0.6 ? oneOf(rng, INTERESTING) : int(rng, 256)
      if (h && rng() < 0.5) fixChecksum(tar, h.offset)
    }
    return tar
  },
  truncate(tar, rng) {
    const mode = int(rng, 3)
    if (mode === 0) return tar.subarray(0, int(rng, tar.length))
    if (mode === 1) return tar.subarray(0, BLOCK * int(rng, Math.ceil(tar.length / BLOCK)))
    // Drop the end marker and padding: cut right after the last entry.
    const hs = headers(tar)
    return hs.length > 0 ? tar.subarray(0, hs[hs.length - 1]!.end) : tar
  },
  headerField(tar, rng, seed) {
    const h = pickHeader(tar, rng)
    if (!h) return tar
    const o = h.offset
    const field = oneOf(rng, [
      'size',
      'size',
      'typeflag',
      'typeflag',
      'mode',
      'checksum',
      'name',
      'name',
      'prefix',
      'linkname',
      'magic',
      'uid',
      'mtime',
    ])
    switch (field) {
      case 'size':
        writeField(tar, o + 124, 12, numberField(rng, 12, h.size))
        break
      case 'typeflag':
        tar[o + 156] =
          rng() < 0.8 ? TYPEFLAGS.charCodeAt(int(rng, TYPEFLAGS.length)) : int(rng, 256)
        break
      case 'mode':
        writeField(tar, o + 100, 8, numberField(rng, 8, 0o644))
        break
      case 'checksum':
        writeField(tar, o + 148, 8, numberField(rng, 8, 0))
        return tar // never recomputed
      case 'name':
        writeField(tar, o, 100, hostilePath(rng, nameOf(tar, o), seed.root))
        break
      case 'prefix':
        writeField(tar, o + 345, 155, hostilePath(rng, seed.root, seed.root))
        break
      case 'linkname':
        writeField(tar, o + 157, 100, hostilePath(rng, '/etc/passwd', seed.root))
        break
      case 'magic':
        writeField(
          tar,
          o + 257,
          8,
          oneOf(rng, [
            Buffer.from('ustar  \0', 'latin1'),
            Buffer.alloc(8),
            Buffer.from('ustar\x0000', 'latin1'),
            randomBytes(rng, 8),
          ]),
        )
        break
      case 'uid':
        writeField(tar, o + 108, 8, numberField(rng, 8, 0))
        break
      default:
        writeField(tar, o + 136, 12, numberField(rng, 12, 1_700_000_000))
    }
    if (rng() < 0.8) fixChecksum(tar, o)
    return tar
  },
  paxRecords(tar, rng, seed) {
    const hs = headers(tar).filter((h) => h.typeflag === 0x78 || h.typeflag === 0x67)
    const target = hs.length > 0 ? oneOf(rng, hs) : null
    const root = seed.root
    const records: [string, string | Buffer][] = []
    if (target) {
      const body = tar.subarray(target.offset + BLOCK, target.offset + BLOCK + target.size)
      for (const line of body.toString('latin1').split('\n')) {
        const m = /^\d+ ([^=]*)=(.*)$/s.exec(line)
        if (m) records.push([m[1]!, Buffer.from(m[2]!, 'latin1')])
      }
    }
    const choice = int(rng, 9)
    if (choice === 0) records.push([oneOf(rng, ['SCHILY.xattr.x', 'linkpath', 'foo', ''])!, 'v'])
    else if (choice === 1) records.push(['size', oneOf(rng, ['12', '0x10', '-1', '1e3', ' 5', ''])])
    else if (choice === 2) records.push(['path', hostilePath(rng, `${root}/prompts/p.md`, root)])
    else if (choice === 3) records.push(['comment', randomBytes(rng, 40).toString('hex')])
    else if (choice === 4) records.push(['mtime', oneOf(rng, ['1.5', 'x', '-1', '99999999999999'])])
    else if (choice === 5 && records.length > 0) records.push(records[0]!)
    else if (choice === 6 && records.length > 0) records.splice(int(rng, records.length), 1)
    let body = paxRecords(records)
    if (choice === 7 || choice === 8) {
      // Break the self-counting lengths, or the record framing.
      body = Buffer.from(
        choice === 7
          ? body.toString('latin1').replace(/^\d+/, String(int(rng, 400)))
          : body.toString('latin1').replace(/\n/g, oneOf(rng, ['', '\n\n', ' '])),
        'latin1',
      )
    }
    const typeflag: 'x' | 'g' = target?.typeflag === 0x67 || (!target && rng() < 0.3) ? 'g' : 'x'
    const block = pax(body, typeflag)
    if (target)
      return Buffer.concat([tar.subarray(0, target.offset), block, tar.subarray(target.end)])
    return insertAt(tar, rng, block)
  },
  insertEntry(tar, rng, seed) {
    return insertAt(tar, rng, hostileEntry(rng, seed.root))
  },
  duplicateBlock(tar, rng) {
    const blocks = Math.floor(tar.length / BLOCK)
    if (blocks === 0) return tar
    const from = int(rng, blocks) * BLOCK
    const to = int(rng, blocks + 1) * BLOCK
    const copy = tar.subarray(from, from + BLOCK)
    return Buffer.concat([tar.subarray(0, to), copy, tar.subarray(to)])
  },
  reorderBlocks(tar, rng) {
    const blocks = Math.floor(tar.length / BLOCK)
    if (blocks < 2) return tar
    const a = int(rng, blocks) * BLOCK
    const b = int(rng, blocks) * BLOCK
    const tmp = Buffer.from(tar.subarray(a, a + BLOCK))
    tar.copy(tar, a, b, b + BLOCK)
    tmp.copy(tar, b)
    return tar
  },
  removeBlock(tar, rng) {
    const blocks = Math.floor(tar.length / BLOCK)
    if (blocks === 0) return tar
    const at = int(rng, blocks) * BLOCK
    return Buffer.concat([tar.subarray(0, at), tar.subarray(at + BLOCK)])
  },
  appendData(tar, rng) {
    const extra = oneOf(rng, [
      () => randomBytes(rng, 1 + int(rng, 2000)),
      () => Buffer.from([1]),
      () => file('tpl/late.txt', 'late'),
      () => Buffer.alloc(BLOCK * (1 + int(rng, 30))),
    ])()
    return Buffer.concat([tar, extra])
  },
}

/** Inserts `entry` at a header boundary (before the end marker) or at a random block. */
function insertAt(tar: Buffer, rng: Rng, entry: Buffer): Buffer {
  const hs = headers(tar)
  const bounds = [0, ...hs.map((h) => h.end)]
  const at =
    rng() < 0.85 ? oneOf(rng, bounds) : int(rng, Math.floor(tar.length / BLOCK) + 1) * BLOCK
  return Buffer.concat([tar.subarray(0, at), entry, tar.subarray(at)])
}

/** One hostile entry (with its extended headers) under `root`. */
export function hostileEntry(rng: Rng, root: string): Buffer {
  const r = root
  const entries: (() => Buffer)[] = [
    () => file(`${r}/../etc/passwd`, 'x'),
    () => file('/etc/passwd', 'x'),
    () => symlink(`${r}/prompts/link.md`, '/etc/passwd'),
    () => symlink(`${r}/docs/link`, '../../..'),
    () => header({ name: `${r}/prompts/hard.md`, typeflag: '1', linkname: `${r}/config.yaml` }),
    () => header({ name: `${r}/dev`, typeflag: '3' }),
    () => header({ name: `${r}/fifo`, typeflag: '6' }),
    () => header({ name: `${r}/contig`, typeflag: '7' }),
    () => header({ name: `${r}/sparse`, typeflag: 'S' }),
    () => dir(`${r}/prompts/d/`, { size: 5 }),
    () => Buffer.concat([pax([['SCHILY.xattr.user.x', 'y']]), file(`${r}/prompts/x.md`, 'x')]),
    () => Buffer.concat([pax([['size', '1x']]), file(`${r}/prompts/x.md`, 'x')]),
    () => Buffer.concat([pax([['size', '99']]), file(`${r}/prompts/x.md`, 'x')]),
    () =>
      pax(
        [
          ['comment', 'deadbeef'],
          ['path', 'x'],
        ],
        'g',
      ),
    () => Buffer.concat([longName(`${r}/prompts/${'a'.repeat(300)}.md`), file('ignored', 'x')]),
    () => Buffer.concat([longName(`${r}/prompts/a\0b`), file('ignored', 'x')]),
    () => longName(`${r}/dangling`),
    () => header({ name: `${r}/prompts/big.md`, size: 0o77777777777 }),
    () =>
      header({
        name: `${r}/prompts/big.md`,
        sizeField: Buffer.from([0x80, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]),
      }),
    () => header({ name: `${r}/prompts/neg.md`, sizeField: Buffer.alloc(12, 0xff) }),
    () => file(`${r}/.git/HEAD`, 'ref: refs/heads/main\n'),
    () => file(`${r}/config.yaml`, 'dup: true\n'),
    () => file(`${r}/Config.yaml`, 'x: 1\n'),
    () => file(`${r}/prompts/A.md`, 'case'),
    () => file(`${r}/prompts/INTRO.md`, 'case'),
    () => file(`${r}/prompts/x.md`, 'x', { typeflag: 'Z' }),
    () => file(`${r}/prompts/\u202emd.exe`, 'x'),
    () => file(`${r}/prompts/e\u0301.md`, 'x'),
    () => file(`other/prompts/x.md`, 'x'),
    () => file(`${r}/MEMORY.md`, 'x'),
    () => file(`${r}/prompts`, 'x'),
    () => file(`${r}/prompts/x.md`, 'x', { checksum: 1 }),
    () => file(`${r}/config.yaml`, '- not\n- a mapping\n'),
    () => Buffer.alloc(BLOCK),
  ]
  return oneOf(rng, entries)()
}

// --- gzip-level mutations -------------------------------------------------------------------

type GzOp = (gz: Buffer, rng: Rng, tar: Buffer) => Buffer

const GZ_OPS: Record<string, GzOp> = {
  gzFlip(gz, rng) {
    const out = Buffer.from(gz)
    for (let n = 1 + int(rng, 4); n > 0; n--) {
      const at = 10 + int(rng, Math.max(1, out.length - 10))
      if (at < out.length) out[at] = out[at]! ^ (1 << int(rng, 8))
    }
    return out
  },
  gzOverwrite(gz, rng) {
    const out = Buffer.from(gz)
    const at = int(rng, out.length)
    out[at] = oneOf(rng, INTERESTING)
    return out
  },
  gzTruncate(gz, rng) {
    return gz.subarray(0, rng() < 0.5 ? gz.length - 1 - int(rng, 12) : int(rng, gz.length))
  },
  gzConcat(gz, rng, tar) {
    const second = oneOf(rng, [gz, gzipSync(Buffer.alloc(0)), gzipSync(tar.subarray(0, BLOCK))])
    return Buffer.concat([gz, second])
  },
  gzTrailing(gz, rng) {
    return Buffer.concat([
      gz,
      rng() < 0.5 ? Buffer.alloc(1 + int(rng, 1024)) : randomBytes(rng, 1 + int(rng, 64)),
    ])
  },
  gzTrailer(gz, rng) {
    const out = Buffer.from(gz)
    const at = out.length - 8 + int(rng, 8)
    out[at] = out[at]! ^ (1 + int(rng, 255))
    return out
  },
  gzHeader(gz, rng) {
    const head = Buffer.from(gz.subarray(0, 10))
    const body = gz.subarray(10)
    switch (int(rng, 6)) {
      case 0:
        head[3] = head[3]! | 0x08 // FNAME
        return Buffer.concat([head, Buffer.from('archive.tar\0'), body])
      case 1: {
        head[3] = head[3]! | 0x04 // FEXTRA
        const len = int(rng, 300)
        const xlen = Buffer.alloc(2)
        xlen.writeUInt16LE(rng() < 0.8 ? len : 0xffff)
        return Buffer.concat([head, xlen, randomBytes(rng, len), body])
      }
      case 2:
        head[3] = head[3]! | 0x02 // FHCRC, with a wrong CRC
        return Buffer.concat([head, Buffer.from([0x12, 0x34]), body])
      case 3:
        head[3] = head[3]! | (0x20 << int(rng, 3)) // reserved
        return Buffer.concat([head, body])
      case 4:
        head[2] = int(rng, 256) // method
        return Buffer.concat([head, body])
      default:
        head[3] = head[3]! | 0x10 // FCOMMENT never terminated
        return Buffer.concat([head, Buffer.from('comment without a NUL'), body.subarray(0, 0)])
    }
  },
  plainTar(_gz, _rng, tar) {
    return tar
  },
  gzTwice(gz) {
    return gzipSync(gz)
  },
  empty() {
    return Buffer.alloc(0)
  },
}

const TAR_OP_NAMES = Object.keys(TAR_OPS)
const GZ_OP_NAMES = Object.keys(GZ_OPS)

/** Case `index`: indices below seeds.length are the seeds themselves, unmutated. */
export function makeCase(seeds: readonly Seed[], fuzzSeed: number, index: number): FuzzCase {
  const rng = caseRng(fuzzSeed, index)
  if (index < seeds.length) {
    const seed = seeds[index]!
    return {
      index,
      seed: seed.name,
      ops: [],
      bytes: seed.gz ?? gzipSync(seed.tar),
      expectedCommit: seed.commit,
      chunk: 0,
      limits: undefined,
    }
  }
  const seed = oneOf(rng, seeds)
  const ops: string[] = []
  const gzOnly = rng() < 0.2
  let tar = Buffer.from(seed.tar)
  const tarOps = gzOnly ? 0 : 1 + int(rng, 3)
  for (let n = 0; n < tarOps; n++) {
    const name = oneOf(rng, TAR_OP_NAMES)
    ops.push(name)
    tar = Buffer.from(TAR_OPS[name]!(tar, rng, seed))
  }
  let bytes = gzOnly && seed.gz && rng() < 0.5 ? seed.gz : gzipSync(tar, { level: 1 + int(rng, 9) })
  if (gzOnly || rng() < 0.1) {
    const name = oneOf(rng, GZ_OP_NAMES)
    ops.push(name)
    bytes = GZ_OPS[name]!(bytes, rng, tar)
  }
  const chunk = oneOf(rng, [0, 0, 0, 1, 7, 100, 512, 4096])
  return {
    index,
    seed: seed.name,
    ops,
    bytes,
    expectedCommit: rng() < 0.9 ? seed.commit : undefined,
    chunk: chunk === 1 && bytes.length > 8192 ? 64 : chunk,
    limits: rng() < 0.1 ? tightLimits(rng) : undefined,
  }
}

function tightLimits(rng: Rng): Partial<BundleLimits> {
  return oneOf(rng, [
    { maxCompressedBytes: 1 + int(rng, 2000) },
    { maxUnpackedBytes: 1 + int(rng, 12_000) },
    { maxEntries: 1 + int(rng, 8) },
    { maxFileBytes: 1 + int(rng, 20) },
    { maxPathBytes: 1 + int(rng, 60) },
    { maxPathSegments: 1 + int(rng, 3) },
  ])
}
