// Writes a bundle into a workspace directory, all or nothing. Every file is staged in a temporary
// directory inside DIR (same file system, so rename is atomic) while the tar is read under the
// ingest rules; only once the whole bundle has been read, its digest verified and every
// destination checked does DIR change: files the previous pull wrote and this bundle lacks are
// removed (prune.ts), files whose bytes differ are renamed into place (identical ones are left as
// they are), and emptied directories pull created are removed. Any failure before that leaves DIR
// as it was. Files pull did not write are never touched.
import { mkdir, mkdtemp, open, rename, rm } from 'node:fs/promises'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
// The bundle modules the client needs, imported one by one: bundle/index.js also loads the
// archive validator's dependencies (globs, YAML), which a provisioner has no use for.
import type { ManifestEntry } from '../bundle/canonicalize.js'
import { checkPath } from '../bundle/paths.js'
import { readBundle } from '../bundle/read-bundle.js'
import { STAGING_PREFIX } from '../bundle/reserved.js'
import { AppError, RejectError } from '../errors.js'
import { fsyncDir } from '../store/fs-util.js'
import { checkDestination, holds } from './destination.js'
import { verifyingStream } from './download.js'
import { ClientError } from './errors.js'
import { planRemovals, removeEmptyDirs, removeFiles, vacates } from './prune.js'
import { readState, writeState } from './state.js'

export interface MaterializeOptions {
  /** The digest the tar bytes must hash to (`sha256:<hex>`). */
  digest: string
  /** Recorded in `.asset-cache.json`; null for a pull by digest. */
  template: string | null
  commit: string | null
  signal?: AbortSignal | undefined
}

export interface MaterializeResult {
  digest: string
  /** Every file of the bundle. */
  files: string[]
  /** The files renamed into place: new, changed, or changed or deleted locally since. */
  written: string[]
  /** Files the previous pull wrote that this bundle lacks, removed. */
  removed: string[]
  /** Files the previous pull wrote that this bundle lacks, left in place: changed locally. */
  kept: string[]
}

interface Staged {
  path: string
  temp: string
  mode: 0o644 | 0o755
}

/**
 * Reads the canonical tar `tar` and brings `dir` to exactly its files, then records
 * `.asset-cache.json` (the files with their sha256, and the directories pull created).
 *
 * Refuses the whole bundle — leaving `dir` as it was — on a digest or size mismatch
 * (IntegrityError), a truncated body, any entry that breaks the ingest rules or names an
 * agent-owned path (RejectError), or a destination reached through a symlink or occupied by a
 * directory (ClientError `UNSAFE_DESTINATION`).
 */
export async function materialize(
  tar: Readable | AsyncIterable<Uint8Array>,
  dir: string,
  options: MaterializeOptions,
): Promise<MaterializeResult> {
  const source = tar instanceof Readable ? tar : Readable.from(tar)
  const verified = verifyingStream(options.digest)
  // Listen at once: a small body can end (and fail its digest check) before the first await.
  const piping = pipeline(source, verified)
  piping.catch(() => undefined)
  let staging: string | undefined
  try {
    await mkdir(dir, { recursive: true })
    const previous = await readState(dir)
    staging = await mkdtemp(join(dir, STAGING_PREFIX))
    const stagingDir = staging
    const staged: Staged[] = []
    const [piped, read] = await Promise.allSettled([
      piping,
      readBundle(verified, {
        signal: options.signal,
        async onFile(file, body) {
          refuseEntry(file.path)
          const temp = join(stagingDir, String(staged.length))
          await writeFile(temp, body, file.mode)
          staged.push({ path: file.path, temp, mode: file.mode })
        },
      }),
    ])
    const failed = [read, piped].flatMap((r) => (r.status === 'rejected' ? [r.reason] : []))
    // The telling error (a refused entry, a digest mismatch) over the premature close it caused.
    if (failed.length > 0) {
      throw failed.find((e) => e instanceof AppError || e instanceof ClientError) ?? failed[0]
    }
    const manifest = (read as PromiseFulfilledResult<ManifestEntry[]>).value
    const written = new Map(manifest.map((entry) => [entry.path, entry]))
    const files = staged.map((f) => f.path)
    // The digest is verified (the stream ended cleanly); now plan and check everything before
    // changing anything, so a refusal still leaves DIR untouched.
    const { remove, kept } = await planRemovals(dir, previous, new Set(files))
    const removing = new Set(remove)
    const tracked = new Set(previous?.dirs ?? [])
    const vacated = (path: string) => vacates(dir, path, removing, tracked)
    const changed: Staged[] = []
    for (const file of staged) {
      const target = await checkDestination(dir, file.path, removing, vacated)
      if (!(await holds(join(dir, file.path), target, written.get(file.path)!))) changed.push(file)
    }
    options.signal?.throwIfAborted()
    // Removals first: a file the new version puts where the old one had a directory (or the
    // reverse) needs the room.
    await removeFiles(dir, remove)
    const created = new Set(await removeEmptyDirs(dir, tracked, files))
    const touched = new Set(remove.map((path) => dirname(join(dir, path))))
    for (const file of changed) {
      const target = join(dir, file.path)
      const first = await mkdir(dirname(target), { recursive: true })
      if (first !== undefined) for (const d of createdDirs(dir, first, target)) created.add(d)
      await rename(file.temp, target)
      touched.add(dirname(target))
    }
    const dirs = [...created].sort()
    // A rename or unlink is durable once its directory is fsynced; the state must not outlive
    // the files. A directory removed since has nothing left to sync.
    for (const parent of touched) await fsyncDir(parent).catch(() => undefined)
    await writeState(dir, {
      template: options.template,
      digest: options.digest,
      commit: options.commit,
      pulledAt: new Date().toISOString(),
      files,
      manifest: manifest.map(({ path, size, sha256, mode }) => ({ path, size, sha256, mode })),
      dirs,
    })
    return {
      digest: options.digest,
      files,
      written: changed.map((f) => f.path),
      removed: remove,
      kept,
    }
  } finally {
    source.destroy()
    verified.destroy()
    if (staging !== undefined) await rm(staging, { recursive: true, force: true })
  }
}

/** The directories `mkdir -p` created, from `first` down to the parent of `target`, DIR-relative. */
function createdDirs(dir: string, first: string, target: string): string[] {
  const out: string[] = []
  const top = resolve(first)
  for (let d = resolve(dirname(target)); ; d = dirname(d)) {
    out.push(relative(resolve(dir), d).split(sep).join('/'))
    if (d === top || d === dirname(d)) return out
  }
}

/**
 * The ingest path rules once more, at the point of writing: among them agent-owned paths and the
 * client's own `.asset-cache*` names (RESERVED_PATH), by the same modules the validator uses.
 */
function refuseEntry(path: string): void {
  const code = checkPath(path)
  if (code) throw new RejectError(code, 'entry path refused', path)
}

async function writeFile(temp: string, body: Readable, mode: 0o644 | 0o755): Promise<void> {
  const fh = await open(temp, 'wx', 0o600)
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) await fh.write(chunk)
    await fh.chmod(mode) // explicit: the umask must not change a template's modes
    await fh.sync()
  } finally {
    await fh.close()
  }
}
