// Shared fixtures for the store tests: real temp directories, byte sources, stream collection.
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { setImmediate as tick } from 'node:timers/promises'
import { onTestFinished } from 'vitest'
import { ContentStore } from '../../src/store/index.js'

/** A fresh store in its own temp directory, removed when the test finishes. */
export async function openTempStore(): Promise<ContentStore> {
  const dir = await mkdtemp(join(tmpdir(), 'asset-cache-store-'))
  onTestFinished(() => rm(dir, { recursive: true, force: true }))
  return ContentStore.open(dir)
}

export function digestOfBytes(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
}

export function randomBlob(size: number): Buffer {
  return randomBytes(size)
}

/** Yields bytes in chunks of `chunkSize`, giving the event loop a turn between chunks. */
export async function* chunked(
  bytes: Uint8Array,
  chunkSize = 16 * 1024,
): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.byteLength; i += chunkSize) {
    await tick()
    yield bytes.subarray(i, i + chunkSize)
  }
}

/** Everything a stream delivered before it ended or failed, and the failure if any. */
export async function collect(stream: Readable): Promise<{ data: Buffer; error: unknown }> {
  const chunks: Buffer[] = []
  try {
    for await (const chunk of stream) chunks.push(chunk as Buffer)
    return { data: Buffer.concat(chunks), error: undefined }
  } catch (error) {
    return { data: Buffer.concat(chunks), error }
  }
}

/** Paths of every file below `dir`, relative to it, sorted. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort()
}
