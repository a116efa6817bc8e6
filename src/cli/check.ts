// `asset-cache check [DIR|ARCHIVE] [--template NAME] [--json]`: the validator the cache runs on
// every commit (src/bundle), run by a template author on a tar or tar.gz, or on a git working tree
// through `git archive HEAD` as Gitea builds its archives: committed content only. Prints the kept
// and skipped files and the verdict; exit 0 would be ready, 1 rejected, 2 usage.
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, open, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join, resolve } from 'node:path'
import { PassThrough, type Readable } from 'node:stream'
import { createGzip } from 'node:zlib'
import { type BundleRules, canonicalize, DEFAULT_RULES, printableName } from '../bundle/index.js'
import type { Config } from '../config.js'
import { AppError, isRejectError } from '../errors.js'
import { EXIT_FAILED, EXIT_OK } from './exit.js'
import { printable } from './format.js'

export interface CheckOptions {
  template?: string
  json?: boolean
}

export interface CheckReport {
  source: { kind: 'archive' | 'git'; path: string; commit: string | null; dirty: boolean }
  kept: { path: string; size: number; mode: string }[]
  skipped: { path: string; type: string }[]
  verdict:
    | { status: 'ready'; digest: string; size: number }
    | { status: 'rejected'; code: string; detail: string; entry: string | null }
}

/** The rules of `--template` from the manifest, or the defaults. */
function rulesOf(config: Config, name: string | undefined): BundleRules {
  if (name === undefined) return DEFAULT_RULES
  const spec = config.templates.find((t) => t.name === name)
  if (!spec) {
    throw new AppError(
      'UNTRACKED_TEMPLATE',
      `--template: ${JSON.stringify(name)} is not in ASSET_CACHE_TEMPLATES${
        config.templatesFile === null ? ' (not set)' : ''
      }; leave it out to check against the default rules`,
      { template: name },
    )
  }
  return { allow: spec.allow, require: spec.require }
}

function git(dir: string, args: string[]): Promise<string | null> {
  return new Promise((done) => {
    const child = spawn('git', ['-C', dir, ...args], { stdio: ['ignore', 'pipe', 'ignore'] })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.on('error', () => done(null))
    child.on('close', (code) => done(code === 0 ? out : null))
  })
}

/** `git archive` of HEAD, as Gitea serves it: tar.gz, under `<lower-cased name>/` when prefixed. */
async function gitSource(dir: string, prefix: boolean) {
  const top = (await git(dir, ['rev-parse', '--show-toplevel']))?.trim()
  const commit = (await git(dir, ['rev-parse', '--verify', 'HEAD^{commit}']))?.trim()
  if (!top || !commit) {
    throw new AppError(
      'INPUT_UNREADABLE',
      `${dir}: not a git working tree with a commit (check a .tar or .tar.gz instead)`,
      { file: dir },
    )
  }
  const dirty = ((await git(top, ['status', '--porcelain'])) ?? '').trim() !== ''
  const args = ['-C', top, 'archive', '--format=tar.gz']
  if (prefix) args.push(`--prefix=${basename(top).toLowerCase()}/`)
  const child = spawn('git', [...args, commit], { stdio: ['ignore', 'pipe', 'ignore'] })
  const out = new PassThrough()
  child.stdout.pipe(out)
  child.on('close', (code) => {
    if (code !== 0) out.destroy(new Error(`git archive exited ${code}`))
  })
  return { stream: out as Readable, commit, dirty, path: top }
}

/** A .tar or .tar.gz (told apart by the gzip magic, not the name); a tar is gzipped on the way. */
async function archiveSource(file: string): Promise<Readable> {
  const handle = await open(file, 'r')
  const magic = Buffer.alloc(2)
  const { bytesRead } = await handle.read(magic, 0, 2, 0)
  const stream = handle.createReadStream({ start: 0 })
  const gzipped = bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b
  if (gzipped) return stream
  const gzip = createGzip()
  stream.on('error', (err) => gzip.destroy(err))
  return stream.pipe(gzip)
}

export async function checkTarget(
  config: Config,
  target: string,
  opts: CheckOptions,
): Promise<CheckReport> {
  const rules = rulesOf(config, opts.template)
  const path = resolve(target)
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new AppError('INPUT_UNREADABLE', `cannot read ${target}: ${err.code ?? 'unreadable'}`, {
      file: target,
    })
  })
  let source: CheckReport['source']
  let stream: Readable
  if (info.isDirectory()) {
    const g = await gitSource(path, config.archivePrefix)
    source = { kind: 'git', path: g.path, commit: g.commit, dirty: g.dirty }
    stream = g.stream
  } else {
    source = { kind: 'archive', path, commit: null, dirty: false }
    stream = await archiveSource(path)
  }
  const skipped: CheckReport['skipped'] = []
  const spoolDir = await mkdtemp(join(tmpdir(), 'asset-cache-check-'))
  try {
    const bundle = await canonicalize(stream, {
      rules,
      limits: config.limits,
      archivePrefix: config.archivePrefix,
      ...(source.commit ? { expectedCommit: source.commit } : {}),
      spoolDir,
      onSkipped: (p, type) => skipped.push({ path: p, type }),
    })
    try {
      const hash = createHash('sha256')
      for await (const chunk of bundle.stream()) hash.update(chunk as Buffer)
      return {
        source,
        kept: bundle.files.map((f) => ({ path: f.path, size: f.size, mode: f.mode.toString(8) })),
        skipped,
        verdict: { status: 'ready', digest: `sha256:${hash.digest('hex')}`, size: bundle.size },
      }
    } finally {
      await bundle.dispose()
    }
  } catch (err) {
    if (!isRejectError(err)) throw err
    return {
      source,
      kept: [],
      skipped,
      verdict: {
        status: 'rejected',
        code: err.code,
        detail: err.message,
        entry: err.entry ?? null,
      },
    }
  } finally {
    stream.destroy()
    await rm(spoolDir, { recursive: true, force: true })
  }
}

export async function checkCommand(
  config: Config,
  target: string | undefined,
  opts: CheckOptions,
): Promise<number> {
  const report = await checkTarget(config, target ?? '.', opts)
  const ok = report.verdict.status === 'ready'
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
    return ok ? EXIT_OK : EXIT_FAILED
  }
  const out: string[] = []
  const { source, verdict } = report
  out.push(
    source.kind === 'git'
      ? `checking ${printable(source.path)} at ${source.commit} (git archive HEAD: committed content only)`
      : `checking ${printable(source.path)}`,
  )
  if (source.dirty) {
    out.push(
      'note: the working tree has uncommitted changes; they are not checked (Gitea serves commits)',
    )
  }
  if (ok) {
    out.push(`kept ${report.kept.length}:`)
    for (const f of report.kept)
      out.push(`  ${f.mode}  ${String(f.size).padStart(9)}  ${printableName(f.path)}`)
  }
  out.push(`skipped ${report.skipped.length}${report.skipped.length ? ':' : ''}`)
  for (const f of report.skipped)
    out.push(`  ${f.type === 'symlink' ? 'link' : 'file'}  ${printableName(f.path)}`)
  if (verdict.status === 'ready') {
    out.push(`ok: ready, ${report.kept.length} files, ${verdict.size} bytes, ${verdict.digest}`)
    process.stdout.write(`${out.join('\n')}\n`)
  } else {
    process.stdout.write(`${out.join('\n')}\n`)
    process.stderr.write(
      `rejected ${verdict.code}: ${printable(verdict.detail)}${verdict.entry === null ? '' : ` (entry: ${printable(printableName(verdict.entry), 1024)})`}\n`,
    )
  }
  return ok ? EXIT_OK : EXIT_FAILED
}
