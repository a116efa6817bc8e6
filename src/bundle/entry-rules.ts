// The rules on one tar entry, in archive order: type, size, name, top-level directory, limits,
// duplicates, and for kept files the portability and collision rules. The first broken rule throws.
import { type RejectCode, RejectError } from '../errors.js'
import { KeptPaths } from './kept-paths.js'
import type { BundleLimits } from './limits.js'
import { checkEntryPath, checkKeptPath, checkPathLimits, decodeName } from './paths.js'
import type { RawHeader } from './tar-header.js'

export type EntryType = 'file' | 'directory' | 'symlink'

export interface AuditedEntry {
  /** The name exactly as tar-stream reports it (a directory keeps its trailing slash). */
  name: string
  /** The path stored in the bundle: the name stripped of its top-level directory ('' for it). */
  path: string
  type: EntryType
  size: number
  /** 0755 iff any execute bit is set in the header mode. */
  mode: 0o644 | 0o755
  keep: boolean
}

export interface EntryRulesOptions {
  limits: BundleLimits
  isKept(path: string): boolean
  /**
   * Strip the single top-level directory (git archive's `--prefix`, Gitea's
   * `[repository] PREFIX_ARCHIVE_FILES=true`); off for canonical bundles and for archives of a
   * Gitea with PREFIX_ARCHIVE_FILES=false.
   */
  stripRoot: boolean
  /** Each entry outside the allowlist (directories aside), once its whole name passed the rules. */
  onSkipped?: (path: string, type: Exclude<EntryType, 'directory'>) => void
}

// Typeflags that may name an entry at all; anything else (devices, FIFO, '7', 'S', unknown) is not.
const ENTRY_TYPES = new Map<number, EntryType | 'link'>([
  [0x00, 'file'],
  [0x30, 'file'],
  [0x31, 'link'],
  [0x32, 'symlink'],
  [0x35, 'directory'],
])

const reject = (code: RejectCode, detail: string, entry?: string) =>
  new RejectError(code, detail, entry)
const latin1 = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1')

export class EntryRules {
  /** Real entries seen (pax and GNU long-name headers are not entries). */
  entries = 0
  /** Entries that are neither kept nor directories. */
  skipped = 0

  readonly #options: EntryRulesOptions
  #root: string | null = null
  /** Top-level names seen, and whether each is only a directory (stripRoot off). */
  readonly #tops = new Map<string, boolean>()
  readonly #paths = new Set<string>()
  readonly #kept = new KeptPaths()

  constructor(options: EntryRulesOptions) {
    this.#options = options
  }

  /** Checks the entry `header` describes, with the pax records and GNU long name before it. */
  check(
    header: RawHeader,
    pax: Map<string, Uint8Array> | null,
    longName: Uint8Array | null,
  ): AuditedEntry {
    const { limits, isKept } = this.#options
    this.entries += 1
    if (this.entries > limits.maxEntries) {
      throw reject('TOO_MANY_ENTRIES', `more than ${limits.maxEntries} entries`)
    }
    const type = ENTRY_TYPES.get(header.typeflag)
    if (type === undefined) {
      const flag = JSON.stringify(String.fromCharCode(header.typeflag))
      throw reject('ENTRY_TYPE_FORBIDDEN', `typeflag ${flag}`)
    }
    const paxSize = pax?.get('size')
    if (paxSize !== undefined && Number(latin1(paxSize)) !== header.size) {
      throw reject('PAX_SIZE_INVALID', 'pax size disagrees with the ustar size')
    }
    if ((type === 'directory' || type === 'symlink') && header.size !== 0) {
      throw reject('ENTRY_SIZE_INVALID', `${type} with a size`)
    }
    if (header.size > limits.maxFileBytes) {
      throw reject('FILE_TOO_LARGE', `entry of ${header.size} bytes`)
    }
    const paxPath = pax?.get('path')
    if (paxPath !== undefined && longName !== null) {
      throw reject('TAR_CORRUPT', 'both a pax path and a GNU long name')
    }
    const name = decodeName(paxPath ?? longName ?? header.name)
    if (name === null) throw reject('PATH_INVALID_UTF8', 'entry name is not UTF-8')
    const path = this.#strip(name, type)
    if (paxPath !== undefined || longName !== null) this.#checkShadowed(header.name, type)
    if (this.#paths.has(path)) throw reject('DUPLICATE_PATH', 'path appears twice', path)
    this.#paths.add(path)

    const keep = type !== 'directory' && path !== '' && isKept(path)
    if (type === 'link') {
      throw keep
        ? reject('LINK_IN_ALLOWED_PATH', 'hard link in an allowed path', path)
        : reject('ENTRY_TYPE_FORBIDDEN', 'hard link', path)
    }
    if (keep) {
      if (type === 'symlink')
        throw reject('LINK_IN_ALLOWED_PATH', 'symlink in an allowed path', path)
      const code = checkKeptPath(path) ?? this.#kept.add(path)
      if (code) throw reject(code, 'kept path refused', path)
    } else if (type !== 'directory') {
      this.skipped += 1
      this.#options.onSkipped?.(path, type)
    }
    const mode = (header.mode & 0o111) !== 0 ? 0o755 : 0o644
    return { name, path, type, size: header.size, mode, keep }
  }

  /**
   * The ustar name (prefix/name) that a pax `path` or a GNU long name replaces is still a name the
   * entry carries: a reader that ignores those records extracts the entry there. It is held to the
   * same entry rules, not to the top-level directory (git archive writes `<sha>.data` there).
   * Link targets are not names of entries: a kept link is refused outright and a skipped one is
   * drained, so no target is ever followed or written.
   */
  #checkShadowed(bytes: Uint8Array, type: EntryType | 'link'): void {
    const shadowed = decodeName(bytes)
    if (shadowed === null) throw reject('PATH_INVALID_UTF8', 'replaced ustar name is not UTF-8')
    const bare = type === 'directory' && shadowed.endsWith('/') ? shadowed.slice(0, -1) : shadowed
    const code = checkEntryPath(bare)
    if (code) throw reject(code, 'ustar name under a pax path or GNU long name refused', shadowed)
  }

  /**
   * The single top-level directory everything sits under, when the archive has one (stripRoot
   * off): the shape of a prefixed archive read as an unprefixed one.
   */
  get soleTopDirectory(): string | null {
    if (this.#tops.size !== 1) return null
    const [top, onlyDirectory] = [...this.#tops][0]!
    return onlyDirectory ? top : null
  }

  /** The stored path of an entry named `name`; throws when the name breaks a path rule. */
  #strip(name: string, type: EntryType | 'link'): string {
    // A directory entry ends with exactly one slash in tar; any other empty segment is refused.
    const bare = type === 'directory' && name.endsWith('/') ? name.slice(0, -1) : name
    const code = checkEntryPath(bare)
    if (code) throw reject(code, 'entry path refused', name)
    let path = bare
    const slash = bare.indexOf('/')
    const top = slash === -1 ? bare : bare.slice(0, slash)
    if (!this.#options.stripRoot) {
      const onlyDirectory = slash !== -1 || type === 'directory'
      this.#tops.set(top, (this.#tops.get(top) ?? true) && onlyDirectory)
    } else {
      // With a prefix, git archive puts nothing but that directory at the root. A file there
      // means the archive has no top-level directory: Gitea's PREFIX_ARCHIVE_FILES is false.
      if (slash === -1 && type === 'file') {
        throw reject(
          'ARCHIVE_PREFIX_MISMATCH',
          'a file at the archive root: this Gitea writes archives without a top-level directory ([repository] PREFIX_ARCHIVE_FILES=false); set GITEA_ARCHIVE_PREFIX=false',
          name,
        )
      }
      this.#root ??= top
      if (top !== this.#root || (slash === -1 && type !== 'directory')) {
        throw reject('PATH_OUTSIDE_ROOT', 'entry outside the top-level directory', name)
      }
      if (slash === -1) return ''
      path = bare.slice(slash + 1)
    }
    const limit = checkPathLimits(path, this.#options.limits)
    if (limit) throw reject(limit, 'entry path over the limits', name)
    return path
  }
}
