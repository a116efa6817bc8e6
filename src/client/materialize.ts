// Writes a bundle into a workspace directory, all or nothing. Every file is staged in a temporary
// directory inside DIR (same file system, so rename is atomic) while the tar is read under the
// ingest rules; only once the whole bundle has been read, its digest verified and every
// destination checked are the files renamed into place. Any failure before that leaves DIR as it
// was. Files in DIR that the bundle does not name are never touched.
import { lstat, mkdir, mkdtemp, open, rename, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
// The bundle modules the client needs, imported one by one: bundle/index.js also loads the
// archive validator's dependencies (globs, YAML), which a provisioner has no use for.
import { checkPath } from '../bundle/paths.js'
import { readBundle } from '../bundle/read-bundle.js'
import { STAGING_PREFIX } from '../bundle/reserved.js'
import { AppError, RejectError } from '../errors.js'
import { fsyncDir } from '../store/fs-util.js'
import { verifyingStream } from './download.js'
import { ClientError } from './errors.js'
import { writeState } from './state.js'

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
  files: string[]
}

interface Staged {
  path: string
  temp: string
  mode: 0o644 | 0o755
}

/**
 * Reads the canonical tar `tar` and writes its files into `dir` atomically, then records
 * `.asset-cache.json`.
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
    // The digest is verified (the stream ended cleanly); now check every destination before
    // renaming any, so a refusal still leaves DIR untouched.
    for (const file of staged) await checkDestination(dir, file.path)
    const parents = new Set<string>()
    for (const file of staged) {
      const target = join(dir, file.path)
      await mkdir(dirname(target), { recursive: true })
      await rename(file.temp, target)
      parents.add(dirname(target))
    }
    // A rename is durable once its directory is fsynced; the state must not outlive the files.
    for (const parent of parents) await fsyncDir(parent)
    const files = staged.map((f) => f.path)
    await writeState(dir, {
      template: options.template,
      digest: options.digest,
      commit: options.commit,
      pulledAt: new Date().toISOString(),
      files,
    })
    return { digest: options.digest, files }
  } finally {
    source.destroy()
    verified.destroy()
    if (staging !== undefined) await rm(staging, { recursive: true, force: true })
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

/** Every existing parent of `path` inside `dir` must be a real directory, the target not one. */
async function checkDestination(dir: string, path: string): Promise<void> {
  const segments = path.split('/')
  let current = dir
  for (const [i, segment] of segments.entries()) {
    current = join(current, segment)
    const last = i === segments.length - 1
    let st: Awaited<ReturnType<typeof lstat>>
    try {
      st = await lstat(current)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
      throw err
    }
    if (!last && !st.isDirectory()) {
      const what = st.isSymbolicLink() ? 'a symlink' : 'not a directory'
      throw new ClientError(
        'UNSAFE_DESTINATION',
        `${current} is ${what}; refusing to write ${path}`,
        {
          path,
        },
      )
    }
    if (last && st.isDirectory()) {
      throw new ClientError(
        'UNSAFE_DESTINATION',
        `${current} is a directory; refusing to replace it`,
        {
          path,
        },
      )
    }
  }
}
