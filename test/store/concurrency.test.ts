// Concurrent puts, and the temp-file sweep at open that must spare live writers.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ContentStore } from '../../src/store/index.js'
import { chunked, digestOfBytes, filesUnder, openTempStore, randomBlob } from './helpers.js'

describe('concurrent puts', () => {
  it('20 puts of the same content make one blob; exactly one reports it new', async () => {
    const store = await openTempStore()
    const bytes = randomBlob(256 * 1024)
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.put(chunked(bytes, 8 * 1024 + i))),
    )
    expect(new Set(results.map((r) => r.digest))).toEqual(new Set([digestOfBytes(bytes)]))
    expect(results.filter((r) => !r.existed)).toHaveLength(1)
    expect(await store.usage()).toEqual({ blobs: 1, bytes: bytes.length })
    expect(await filesUnder(join(store.dir, 'tmp'))).toEqual([])
    expect((await store.read(results[0]!.digest, bytes.length)).equals(bytes)).toBe(true)
  })

  it('concurrent puts of different content each land', async () => {
    const store = await openTempStore()
    const blobs = Array.from({ length: 10 }, (_, i) => randomBlob(1000 + i))
    await Promise.all(blobs.map((b) => store.put(chunked(b, 100))))
    const listed = []
    for await (const entry of store.list()) listed.push(entry)
    expect(listed).toEqual(
      blobs
        .map((b) => ({ digest: digestOfBytes(b), size: b.length }))
        .sort((a, b) => (a.digest < b.digest ? -1 : 1)),
    )
  })
})

describe('temp files at open', () => {
  it('removes what dead processes left, whatever its name', async () => {
    const store = await openTempStore()
    const tmp = join(store.dir, 'tmp')
    // pid 2^30 is above Linux's pid_max; the second name is this pid under another process token,
    // as after a restart in a container that gave the new process the old one's pid.
    await writeFile(join(tmp, `${2 ** 30}.aaaaaaaaaaaa.0123456789abcdef`), 'partial')
    await writeFile(join(tmp, `${process.pid}.bbbbbbbbbbbb.0123456789abcdef`), 'partial')
    await writeFile(join(tmp, 'not-a-temp-name'), 'partial')
    await ContentStore.open(store.dir)
    expect(await filesUnder(tmp)).toEqual([])
  })

  it('spares the temp file of a put still running in a live process', async () => {
    const store = await openTempStore()
    const bytes = randomBlob(64 * 1024)
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    async function* slow(): AsyncGenerator<Uint8Array> {
      yield bytes.subarray(0, 1000)
      await gate
      yield bytes.subarray(1000)
    }
    const pending = store.put(slow())
    while ((await filesUnder(join(store.dir, 'tmp'))).length === 0) {
      await new Promise((r) => setTimeout(r, 5))
    }
    await ContentStore.open(store.dir)
    expect(await filesUnder(join(store.dir, 'tmp'))).toHaveLength(1)
    release()
    expect(await pending).toMatchObject({ digest: digestOfBytes(bytes), existed: false })
    expect(await filesUnder(join(store.dir, 'tmp'))).toEqual([])
  })
})
