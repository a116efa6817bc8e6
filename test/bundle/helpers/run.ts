// Runs canonicalize() on test archives with a fresh spool directory, and checks what it leaves.
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { expect } from 'vitest'
import {
  type CanonicalBundle,
  type CanonicalizeOptions,
  canonicalize,
  readBundle,
} from '../../../src/bundle/index.js'
import { REJECT_CODES, type RejectCode, RejectError } from '../../../src/errors.js'
import { gz, templateTar } from './tar.js'

export type RunOptions = Omit<CanonicalizeOptions, 'spoolDir'> & { chunk?: number }

export async function tempDir(prefix = 'bundle-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix))
}

/** The archive as a stream, in chunks of `chunk` bytes (one chunk by default). */
export function source(archive: Buffer, chunk = archive.length || 1): Readable {
  const chunks: Buffer[] = []
  for (let at = 0; at < archive.length; at += chunk) chunks.push(archive.subarray(at, at + chunk))
  return Readable.from(chunks)
}

/** Canonicalizes and returns the bundle with its canonical bytes; the spool is removed after. */
export async function accept(
  archive: Buffer | Readable,
  { chunk, ...options }: RunOptions = {},
): Promise<{ bundle: CanonicalBundle; tar: Buffer }> {
  const spoolDir = await tempDir()
  try {
    const input = Buffer.isBuffer(archive) ? source(archive, chunk) : archive
    const bundle = await canonicalize(input, { ...options, spoolDir })
    const tar = Buffer.concat(await bundle.stream().toArray())
    await bundle.dispose()
    expect(await readdir(spoolDir)).toEqual([])
    return { bundle, tar }
  } finally {
    await rm(spoolDir, { recursive: true, force: true })
  }
}

/** Expects a rejection; returns its code, after checking the spool file is gone. */
export async function rejection(
  archive: Buffer | Readable,
  { chunk, ...options }: RunOptions = {},
): Promise<RejectCode> {
  const spoolDir = await tempDir()
  try {
    const input = Buffer.isBuffer(archive) ? source(archive, chunk) : archive
    const err = await canonicalize(input, { ...options, spoolDir }).then(
      () => expect.fail('archive was accepted'),
      (e: unknown) => e,
    )
    if (!(err instanceof RejectError)) throw err
    expect(REJECT_CODES).toContain(err.code)
    expect(await readdir(spoolDir)).toEqual([])
    return err.code
  } finally {
    await rm(spoolDir, { recursive: true, force: true })
  }
}

/** The gzipped template archive of `entries` (with its config.yaml), accepted. */
export const accepted = (...entries: Buffer[]) => accept(gz(templateTar(entries)))

/** How many entries accepting the template archive of `entries` skipped. */
export const skipped = async (...entries: Buffer[]) => (await accepted(...entries)).bundle.skipped

/** The gzipped template archive of `entries` (with its config.yaml), refused: the code. */
export const refused = (...entries: Buffer[]) => rejection(gz(templateTar(entries)))

/** Every file of a canonical tar, read back with readBundle(). */
export async function readBack(
  tar: Buffer,
): Promise<{ path: string; mode: number; sha256: string; body: Buffer }[]> {
  const bodies = new Map<string, Buffer>()
  const files = await readBundle(Readable.from([tar]), {
    async onFile(file, body) {
      bodies.set(file.path, Buffer.concat(await body.toArray()))
    },
  })
  return files.map((f) => ({
    path: f.path,
    mode: f.mode,
    sha256: f.sha256,
    body: bodies.get(f.path)!,
  }))
}
