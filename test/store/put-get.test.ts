// Happy paths of the content store: put, get, read, has, remove, ranges.
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  chunked,
  collect,
  digestOfBytes,
  filesUnder,
  openTempStore,
  randomBlob,
} from './helpers.js'

describe('put / get / read / has / remove', () => {
  it('round-trips a blob and lays it out as blobs/sha256/ab/cd/<hex>', async () => {
    const store = await openTempStore()
    const bytes = Buffer.from('hello, bundle\n')
    const digest = digestOfBytes(bytes)
    const hex = digest.slice('sha256:'.length)

    expect(await store.put(Readable.from([bytes]))).toEqual({
      digest,
      size: bytes.length,
      existed: false,
    })
    expect(store.contentPath(digest)).toBe(
      join(store.dir, 'blobs', 'sha256', hex.slice(0, 2), hex.slice(2, 4), hex),
    )
    expect(await store.has(digest)).toEqual({ size: bytes.length })
    expect(await store.read(digest)).toEqual(bytes)
    expect(await store.read(digest, bytes.length)).toEqual(bytes)
    expect((await collect(store.get(digest))).data).toEqual(bytes)
    expect(await filesUnder(join(store.dir, 'tmp'))).toEqual([])
  })

  it('stores blobs read-only', async () => {
    const store = await openTempStore()
    const { digest } = await store.put(Readable.from([Buffer.from('x')]))
    expect((await stat(store.contentPath(digest))).mode & 0o777).toBe(0o444)
  })

  it('reports existed on a second put and keeps one blob', async () => {
    const store = await openTempStore()
    const bytes = randomBlob(1000)
    await store.put(chunked(bytes))
    expect(await store.put(chunked(bytes, 7))).toMatchObject({ existed: true, size: 1000 })
    expect(await store.usage()).toEqual({ blobs: 1, bytes: 1000 })
  })

  it('accepts an async iterable spanning many read chunks', async () => {
    const store = await openTempStore()
    const bytes = randomBlob(300 * 1024 + 17)
    const { digest, size } = await store.put(chunked(bytes, 10_000))
    expect(size).toBe(bytes.length)
    expect((await collect(store.get(digest, size))).data.equals(bytes)).toBe(true)
  })

  it('stores the empty blob', async () => {
    const store = await openTempStore()
    const { digest, size } = await store.put(Readable.from([]), {
      digest: digestOfBytes(new Uint8Array()),
      size: 0,
    })
    expect(size).toBe(0)
    expect(await store.read(digest, 0)).toEqual(Buffer.alloc(0))
  })

  it('accepts a put whose expected digest and size are right', async () => {
    const store = await openTempStore()
    const bytes = randomBlob(5000)
    const expected = { digest: digestOfBytes(bytes), size: bytes.length }
    expect(await store.put(chunked(bytes), expected)).toEqual({ ...expected, existed: false })
  })

  it('removes: bytes freed, then absent, then 0', async () => {
    const store = await openTempStore()
    const { digest } = await store.put(Readable.from([randomBlob(321)]))
    expect(await store.remove(digest)).toBe(321)
    expect(await store.has(digest)).toBeNull()
    expect(await store.remove(digest)).toBe(0)
    await expect(store.read(digest)).rejects.toMatchObject({ code: 'ENOTFOUND' })
    const { error } = await collect(store.get(digest))
    expect(error).toMatchObject({ code: 'ENOTFOUND', context: { digest } })
  })

  it('round-trips arbitrary bytes in arbitrary chunks', async () => {
    const store = await openTempStore()
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 4096 }),
        fc.integer({ min: 1, max: 512 }),
        async (bytes, chunk) => {
          const { digest, size } = await store.put(chunked(bytes, chunk))
          expect(digest).toBe(digestOfBytes(bytes))
          expect(size).toBe(bytes.length)
          expect((await store.read(digest, size)).equals(Buffer.from(bytes))).toBe(true)
        },
      ),
      { numRuns: 40 },
    )
  })
})

describe('ranges', () => {
  it('reads inclusive byte ranges, across read-chunk boundaries', async () => {
    const store = await openTempStore()
    const bytes = randomBlob(200 * 1024)
    const { digest, size } = await store.put(chunked(bytes))
    for (const [start, end] of [
      [0, 0],
      [10, 19],
      [65_530, 65_545],
      [1000, size - 1],
      [size - 1, size - 1],
      [0, size - 1],
    ] as const) {
      const { data, error } = await collect(store.get(digest, size, { start, end }))
      expect(error).toBeUndefined()
      expect(data.equals(bytes.subarray(start, end + 1))).toBe(true)
    }
  })

  it('fails a range past the end, and refuses a malformed one at once', async () => {
    const store = await openTempStore()
    const { digest } = await store.put(Readable.from([randomBlob(100)]))
    const { error } = await collect(store.get(digest, undefined, { start: 50, end: 100 }))
    expect(error).toBeInstanceOf(RangeError)
    expect(() => store.get(digest, undefined, { start: 5, end: 4 })).toThrow(RangeError)
    expect(() => store.get(digest, undefined, { start: -1, end: 4 })).toThrow(RangeError)
    expect(() => store.get(digest, undefined, { start: 0.5, end: 4 })).toThrow(RangeError)
  })

  it('still checks the size on a range read', async () => {
    const store = await openTempStore()
    const { digest } = await store.put(Readable.from([randomBlob(100)]))
    const { data, error } = await collect(store.get(digest, 99, { start: 0, end: 9 }))
    expect(error).toMatchObject({ code: 'EBADSIZE', expected: 99, found: 100 })
    expect(data.length).toBe(0)
  })
})
