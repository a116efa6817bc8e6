// The spool file: appends land at their own offsets even when they overlap in time, reads come
// back by range, and dispose() removes the file (twice is fine).
import { readdir, rm, stat } from 'node:fs/promises'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { Spool } from '../../src/bundle/spool.js'
import { tempDir } from './helpers/run.js'

let dir: string
beforeEach(async () => {
  dir = await tempDir()
})
afterEach(() => rm(dir, { recursive: true, force: true }))

it('keeps overlapping appends in call order', async () => {
  const spool = await Spool.create(dir)
  const parts = Array.from({ length: 50 }, (_, i) => Buffer.alloc(1000 + i, 65 + (i % 26)))
  await Promise.all(parts.map((p) => spool.append(p)))
  await spool.close()
  let offset = 0
  for (const part of parts) {
    expect(Buffer.concat(await spool.read(offset, part.length).toArray())).toEqual(part)
    offset += part.length
  }
  expect(spool.size).toBe(offset)
  await spool.dispose()
})

it('keeps every byte across batch boundaries, with the caller reusing its buffer', async () => {
  const { randomBytes } = await import('node:crypto')
  const spool = await Spool.create(dir)
  // Pieces of 16–64 KiB as tar-stream hands them over, one bigger than a batch, then a tail.
  const parts = [
    ...Array.from({ length: 70 }, (_, i) => randomBytes(16 * 1024 + i * 677)),
    randomBytes(2.5 * 1024 * 1024),
    ...Array.from({ length: 9 }, (_, i) => randomBytes(1 + i * 999)),
  ]
  const scratch = Buffer.alloc(3 * 1024 * 1024)
  for (const part of parts) {
    part.copy(scratch)
    await spool.append(scratch.subarray(0, part.length))
    scratch.fill(0)
  }
  await spool.close()
  const whole = Buffer.concat(parts)
  expect(spool.size).toBe(whole.length)
  expect((await stat(spool.path)).size).toBe(whole.length)
  expect(Buffer.concat(await spool.read(0, whole.length).toArray()).equals(whole)).toBe(true)
  const at = parts.slice(0, 70).reduce((n, p) => n + p.length, 0)
  const big = Buffer.concat(await spool.read(at, parts[70]!.length).toArray())
  expect(big.equals(parts[70]!)).toBe(true)
  await spool.dispose()
})

it('is private to its owner and removed by dispose, idempotently', async () => {
  const spool = await Spool.create(dir)
  expect((await stat(spool.path)).mode & 0o777).toBe(0o600)
  await spool.dispose()
  await spool.dispose()
  expect(await readdir(dir)).toEqual([])
  expect(() => spool.read(0, 1)).toThrow()
})
