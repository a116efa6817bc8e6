// Block-level tar auditor: a pass-through stage in front of tar-stream that parses every 512-byte
// block itself and enforces what tar-stream does not (it merges the global pax header into later
// records, skips zero blocks, ignores data after the end marker, and reads numbers leniently).
// It queues each entry tar-stream must emit next, so the two parsers can be cross-checked.
import { Transform, type TransformCallback } from 'node:stream'
import { type RejectCode, RejectError } from '../errors.js'
import { type AuditedEntry, EntryRules, type EntryRulesOptions } from './entry-rules.js'
import { decodeName } from './paths.js'
import {
  BLOCK,
  cString,
  isZeroBlock,
  parseHeader,
  parsePaxRecords,
  type RawHeader,
} from './tar-header.js'

export interface AuditOptions extends EntryRulesOptions {
  /** When set, a global `comment` that differs is COMMIT_MISMATCH at once. */
  expectedCommit?: string | undefined
}

// Pax and GNU long-name bodies: a legitimate one holds a path of at most a few KiB.
const META_MAX = 64 * 1024
const PAX_KEYS = new Set([
  'path',
  'linkpath',
  'size',
  'mtime',
  'atime',
  'ctime',
  'uid',
  'gid',
  'uname',
  'gname',
])
const TYPE = {
  pax: 0x78, // 'x'
  global: 0x67, // 'g'
  longName: 0x4c, // 'L'
  longLink: 0x4b, // 'K'
} as const

type Phase =
  | { kind: 'header' }
  | { kind: 'data'; left: number }
  | { kind: 'meta'; typeflag: number; body: Buffer; filled: number; pad: number }
  | { kind: 'end' }

const HEADER: Phase = { kind: 'header' }
const padding = (size: number) => (BLOCK - (size % BLOCK)) % BLOCK
const reject = (code: RejectCode, detail: string, entry?: string) =>
  new RejectError(code, detail, entry)

export class TarAuditor extends Transform {
  /** Entries audited but not yet matched against tar-stream's, oldest first. */
  readonly queue: AuditedEntry[] = []
  /** The global pax `comment` (git archive writes the commit id there). */
  commit: string | null = null

  readonly #options: AuditOptions
  readonly #block = Buffer.alloc(BLOCK)
  #filled = 0
  #phase: Phase = HEADER
  #zeroBlocks = 0
  #pax: Map<string, Uint8Array> | null = null
  #longName: Uint8Array | null = null
  #longLink = false
  #globalSeen = false
  readonly #rules: EntryRules

  constructor(options: AuditOptions) {
    super()
    this.#options = options
    this.#rules = new EntryRules(options)
  }

  /** Real entries seen so far. */
  get entries(): number {
    return this.#rules.entries
  }

  /** See EntryRules.soleTopDirectory. */
  get soleTopDirectory(): string | null {
    return this.#rules.soleTopDirectory
  }

  /** Entries seen so far that are neither kept nor directories. */
  get skipped(): number {
    return this.#rules.skipped
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
    let forward: Buffer
    try {
      forward = this.#consume(chunk)
    } catch (err) {
      callback(err as Error)
      return
    }
    // Nothing past the end marker reaches tar-stream: it would choke on a partial zero block.
    if (forward.length > 0) this.push(forward)
    callback()
  }

  override _flush(callback: TransformCallback) {
    if (this.#phase.kind === 'end') callback()
    else callback(reject('TRUNCATED', 'tar ended before its end-of-archive marker'))
  }

  /** Audits `chunk`; returns the part up to the end of the end-of-archive marker. */
  #consume(chunk: Buffer): Buffer {
    let at = 0
    let endAt = this.#phase.kind === 'end' ? 0 : chunk.length
    while (at < chunk.length) {
      const phase = this.#phase
      const available = chunk.length - at
      if (phase.kind === 'end') {
        // Zero padding after the two end blocks is fine: git archive pads to 10240 bytes.
        for (let i = at; i < chunk.length; i++) {
          if (chunk[i] !== 0) throw reject('TRAILING_DATA', 'data after the end-of-archive marker')
        }
        at = chunk.length
      } else if (phase.kind === 'data') {
        const n = Math.min(phase.left, available)
        phase.left -= n
        at += n
        if (phase.left === 0) this.#phase = HEADER
      } else if (phase.kind === 'meta') {
        if (phase.filled < phase.body.length) {
          const n = Math.min(phase.body.length - phase.filled, available)
          chunk.copy(phase.body, phase.filled, at, at + n)
          phase.filled += n
          at += n
        } else {
          const n = Math.min(phase.pad, available)
          phase.pad -= n
          at += n
        }
        if (phase.filled === phase.body.length && phase.pad === 0) this.#finishMeta(phase)
      } else {
        const n = Math.min(BLOCK - this.#filled, available)
        chunk.copy(this.#block, this.#filled, at, at + n)
        this.#filled += n
        at += n
        if (this.#filled === BLOCK) {
          this.#filled = 0
          this.#onBlock(this.#block)
          if (this.#phase.kind === 'end') endAt = at
        }
      }
    }
    return chunk.subarray(0, endAt)
  }

  #pending(): boolean {
    return this.#pax !== null || this.#longName !== null || this.#longLink
  }

  #onBlock(block: Buffer) {
    if (isZeroBlock(block)) {
      if (this.#pending()) throw reject('TAR_CORRUPT', 'extended header without an entry')
      this.#zeroBlocks += 1
      if (this.#zeroBlocks === 2) this.#phase = { kind: 'end' }
      return
    }
    if (this.#zeroBlocks > 0) throw reject('TAR_CORRUPT', 'lone zero block inside the archive')
    const header = parseHeader(block)
    switch (header.typeflag) {
      case TYPE.pax:
      case TYPE.global:
      case TYPE.longName:
      case TYPE.longLink:
        this.#startMeta(header)
        return
      default:
        this.#onEntry(header)
    }
  }

  #startMeta({ typeflag, size }: RawHeader) {
    if (size > META_MAX) {
      throw typeflag === TYPE.longName
        ? reject('PATH_TOO_LONG', 'GNU long name over 64 KiB')
        : reject('TAR_CORRUPT', 'extended header over 64 KiB')
    }
    const twice =
      (typeflag === TYPE.pax && this.#pax !== null) ||
      (typeflag === TYPE.longName && this.#longName !== null) ||
      (typeflag === TYPE.longLink && this.#longLink) ||
      (typeflag === TYPE.global && (this.#globalSeen || this.#pending()))
    if (twice) throw reject('TAR_CORRUPT', 'extended headers repeated or out of place')
    const phase: Phase = { kind: 'meta', typeflag, body: Buffer.alloc(size), filled: 0, pad: 0 }
    phase.pad = padding(size)
    this.#phase = phase
    if (size === 0) this.#finishMeta(phase)
  }

  #finishMeta({ typeflag, body }: Extract<Phase, { kind: 'meta' }>) {
    this.#phase = HEADER
    if (typeflag === TYPE.longName) {
      const { value, clean } = cString(body)
      if (!clean) throw reject('PATH_BAD_CHARACTER', 'NUL inside a GNU long name')
      this.#longName = value
    } else if (typeflag === TYPE.longLink) {
      this.#longLink = true
    } else if (typeflag === TYPE.pax) {
      this.#pax = this.#paxRecords(body)
    } else {
      this.#globalRecords(body)
    }
  }

  #paxRecords(body: Buffer): Map<string, Uint8Array> {
    const records = parsePaxRecords(body)
    for (const [key, value] of records) {
      if (!PAX_KEYS.has(key)) throw reject('PAX_KEY_FORBIDDEN', `pax key ${JSON.stringify(key)}`)
      if (key === 'size' && !/^[0-9]{1,15}$/.test(Buffer.from(value).toString('latin1'))) {
        throw reject('PAX_SIZE_INVALID', 'pax size is not plain decimal')
      }
    }
    return records
  }

  #globalRecords(body: Buffer) {
    this.#globalSeen = true
    for (const [key, value] of parsePaxRecords(body)) {
      if (key !== 'comment') {
        throw reject('PAX_GLOBAL_KEY_FORBIDDEN', `global pax key ${JSON.stringify(key)}`)
      }
      const comment = decodeName(value)
      if (comment === null) throw reject('TAR_CORRUPT', 'global comment is not UTF-8')
      this.commit = comment
    }
    const expected = this.#options.expectedCommit
    if (expected !== undefined && this.commit !== expected) {
      throw reject('COMMIT_MISMATCH', `archive is commit ${this.commit}, expected ${expected}`)
    }
  }

  #onEntry(header: RawHeader) {
    const pax = this.#pax
    const longName = this.#longName
    this.#pax = null
    this.#longName = null
    this.#longLink = false
    const entry = this.#rules.check(header, pax, longName)
    this.queue.push(entry)
    if (header.size > 0) this.#phase = { kind: 'data', left: header.size + padding(header.size) }
  }
}
