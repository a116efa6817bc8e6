// Error paths: what put refuses, and how reads fail on bytes damaged on disk.
import { appendFile, chmod, open, readFile, stat, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { IntegrityError } from '../../src/errors.js'
import type { ContentStore } from '../../src/store/index.js'
import {
  chunked,
  collect,
  digestOfBytes,
  filesUnder,
  openTempStore,
  randomBlob,
} from './helpers.js'

async function expectNothingStored(store: ContentStore): Promise<void> {
  expect(await filesUnder(join(store.dir, 'blobs'))).toEqual([])
  expect(await filesUnder(join(store.dir, 'tmp'))).toEqual([])
  expect(await store.usage()).toEqual({ blobs: 0, bytes: 0 })
}

describe('put refuses', () => {
  it('a digest other than expected: EINTEGRITY, nothing stored', async () => {
    const store = await openTempStore()
    const bytes = randomBlob(4000)
    const claimed = digestOfBytes(Buffer.from('something else'))
    const err = await store.put(chunked(bytes), { digest: claimed }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(IntegrityError)
    expect(err).toMatchObject({
      code: 'EINTEGRITY',
      expected: claimed,
      found: digestOfBytes(bytes),
    })
    await expectNothingStored(store)
  })

  it('more bytes than expected: EBADSIZE at the first byte over, without reading on', async () => {
    const store = await openTempStore()
    let pulled = 0
    async function* endless(): AsyncGenerator<Uint8Array> {
      for (;;) {
        pulled++
        yield Buffer.alloc(1000, 1)
      }
    }
    const err = await store.put(endless(), { size: 2500 }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'EBADSIZE', expected: 2500, found: 3000 })
    expect(pulled).toBe(3)
    await expectNothingStored(store)
  })

  it('fewer bytes than expected: EBADSIZE with the size found', async () => {
    const store = await openTempStore()
    const bytes = randomBlob(2000)
    const err = await store
      .put(chunked(bytes), { digest: digestOfBytes(bytes), size: 2001 })
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'EBADSIZE', expected: 2001, found: 2000 })
    await expectNothingStored(store)
  })

  it('an over-long Readable is destroyed, not left flowing', async () => {
    const store = await openTempStore()
    const source = new Readable({
      read() {
        this.push(Buffer.alloc(1000))
      },
    })
    await expect(store.put(source, { size: 10_000 })).rejects.toMatchObject({ code: 'EBADSIZE' })
    expect(source.destroyed).toBe(true)
    await expectNothingStored(store)
  })

  it('a source that fails midway: its error, nothing stored', async () => {
    const store = await openTempStore()
    const boom = new Error('upstream reset')
    const source = new Readable({ read() {} })
    source.push(Buffer.alloc(5000))
    setTimeout(() => source.destroy(boom), 5)
    await expect(store.put(source)).rejects.toBe(boom)
    await expectNothingStored(store)
  })

  it('strings instead of bytes', async () => {
    const store = await openTempStore()
    await expect(store.put(Readable.from(['text']))).rejects.toBeInstanceOf(TypeError)
    await expectNothingStored(store)
  })

  it('a malformed expected digest or size before reading, and releases the source', async () => {
    const store = await openTempStore()
    const source = Readable.from([Buffer.from('x')])
    await expect(store.put(source, { digest: 'sha256:abc' })).rejects.toMatchObject({
      code: 'INVALID_DIGEST',
    })
    expect(source.destroyed).toBe(true)
    await expect(store.put(Readable.from([]), { size: -1 })).rejects.toBeInstanceOf(RangeError)
    await expectNothingStored(store)
  })
})

describe('damaged blobs on disk', () => {
  const SIZE = 200 * 1024 // several read chunks, so the damage is found mid-stream

  async function storedBlob() {
    const store = await openTempStore()
    const bytes = randomBlob(SIZE)
    const { digest } = await store.put(chunked(bytes))
    const path = store.contentPath(digest)
    await chmod(path, 0o644)
    return { store, bytes, digest, path }
  }

  async function flipByte(path: string, at: number): Promise<Buffer> {
    const fh = await open(path, 'r+')
    const one = Buffer.alloc(1)
    await fh.read(one, 0, 1, at)
    one[0] = one[0]! ^ 0xff
    await fh.write(one, 0, 1, at)
    await fh.close()
    return readFile(path)
  }

  it('a flipped byte: EINTEGRITY with both digests, and never the whole body', async () => {
    const { store, digest, path } = await storedBlob()
    const damaged = await flipByte(path, 1234)
    for (const expectedSize of [undefined, SIZE]) {
      const { data, error } = await collect(store.get(digest, expectedSize))
      expect(error).toBeInstanceOf(IntegrityError)
      expect(error).toMatchObject({
        code: 'EINTEGRITY',
        expected: digest,
        found: digestOfBytes(damaged),
      })
      // The last chunk is held back until the digest checks out.
      expect(data.length).toBeLessThan(SIZE)
    }
    await expect(store.read(digest)).rejects.toMatchObject({ code: 'EINTEGRITY' })
  })

  it('a truncated blob: EBADSIZE before any byte when the size is known, else EINTEGRITY', async () => {
    const { store, digest, path } = await storedBlob()
    await truncate(path, SIZE - 100)
    const known = await collect(store.get(digest, SIZE))
    expect(known.error).toMatchObject({ code: 'EBADSIZE', expected: SIZE, found: SIZE - 100 })
    expect(known.data.length).toBe(0)
    expect((await collect(store.get(digest))).error).toMatchObject({ code: 'EINTEGRITY' })
    await expect(store.read(digest, SIZE)).rejects.toMatchObject({ code: 'EBADSIZE' })
    await expect(store.read(digest)).rejects.toMatchObject({ code: 'EINTEGRITY' })
  })

  it('appended bytes: EBADSIZE when the size is known, else EINTEGRITY', async () => {
    const { store, digest, path } = await storedBlob()
    await appendFile(path, 'tail')
    await expect(store.read(digest, SIZE)).rejects.toMatchObject({
      code: 'EBADSIZE',
      expected: SIZE,
      found: SIZE + 4,
    })
    await expect(store.read(digest)).rejects.toMatchObject({ code: 'EINTEGRITY' })
  })

  it('a re-put heals a damaged blob and leaves an intact one untouched', async () => {
    const { store, bytes, digest, path } = await storedBlob()
    await flipByte(path, 0)
    expect(await store.put(chunked(bytes))).toMatchObject({ digest, existed: false })
    expect((await store.read(digest, SIZE)).equals(bytes)).toBe(true)

    const inode = (await stat(path)).ino
    expect(await store.put(chunked(bytes))).toMatchObject({ digest, existed: true })
    expect((await stat(path)).ino).toBe(inode)
    expect(await filesUnder(join(store.dir, 'tmp'))).toEqual([])
  })

  it('a blob replaced wholesale with other bytes of the same size', async () => {
    const { store, digest, path } = await storedBlob()
    await writeFile(path, randomBlob(SIZE))
    await expect(store.read(digest, SIZE)).rejects.toMatchObject({ code: 'EINTEGRITY' })
  })
})
