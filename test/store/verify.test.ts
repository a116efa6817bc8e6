// Maintenance: verify (named steps, corrupt blobs, quarantine), quarantine, list and usage.
import { appendFile, chmod, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { ContentStore } from '../../src/store/index.js'
import { chunked, digestOfBytes, filesUnder, openTempStore, randomBlob } from './helpers.js'

async function putAll(store: ContentStore, blobs: Buffer[]): Promise<string[]> {
  const digests: string[] = []
  for (const b of blobs) digests.push((await store.put(chunked(b))).digest)
  return digests
}

async function damage(store: ContentStore, digest: string, how: 'overwrite' | 'append') {
  const path = store.contentPath(digest)
  await chmod(path, 0o644)
  if (how === 'append') await appendFile(path, '!')
  else await writeFile(path, Buffer.alloc(100, 7))
}

describe('verify', () => {
  it('reports a clean store as ordered, named, timed steps', async () => {
    const store = await openTempStore()
    await putAll(store, [randomBlob(100), randomBlob(200)])
    const report = await store.verify()
    expect(report).toMatchObject({ checked: 2, bytes: 300, corrupt: [], quarantined: [] })
    expect(report.steps.map((s) => s.name)).toEqual(['cleanTmp', 'verifyContent', 'checkExpected'])
    expect(report.steps[1]!.counts).toEqual({ checked: 2, valid: 2, corrupt: 0, bytes: 300 })
    for (const step of report.steps) expect(step.ms).toBeGreaterThanOrEqual(0)
  })

  it('reports corrupt and missing blobs with expected and found, and quarantines on request', async () => {
    const store = await openTempStore()
    const [good, flipped, grown] = await putAll(store, [
      randomBlob(100),
      randomBlob(100),
      randomBlob(100),
    ])
    const missing = digestOfBytes(Buffer.from('never stored'))
    await damage(store, flipped!, 'overwrite')
    await damage(store, grown!, 'append')
    const expectedSizes = new Map([
      [good!, 100],
      [grown!, 100],
      [missing, 12],
    ])

    const report = await store.verify({ expectedSizes })
    expect(report.checked).toBe(3)
    expect(report.corrupt).toEqual(
      expect.arrayContaining([
        {
          digest: flipped,
          path: store.contentPath(flipped!),
          code: 'EINTEGRITY',
          expected: flipped,
          found: digestOfBytes(Buffer.alloc(100, 7)),
        },
        {
          digest: grown,
          path: store.contentPath(grown!),
          code: 'EBADSIZE',
          expected: 100,
          found: 101,
        },
        {
          digest: missing,
          path: store.contentPath(missing),
          code: 'ENOTFOUND',
          expected: 12,
          found: 'absent',
        },
      ]),
    )
    expect(report.corrupt).toHaveLength(3)
    expect(report.quarantined).toEqual([])
    expect(await store.has(flipped!)).not.toBeNull() // reported only, not moved

    const fixed = await store.verify({ expectedSizes, quarantine: true })
    expect(fixed.steps.at(-1)).toMatchObject({
      name: 'quarantineCorrupt',
      counts: { quarantined: 2 },
    })
    expect(fixed.quarantined.sort()).toEqual([flipped, grown].sort())
    expect(await store.has(flipped!)).toBeNull()
    expect(await store.has(grown!)).toBeNull()
    const kept = await readdir(join(store.dir, 'quarantine'))
    expect(kept).toHaveLength(2)
    for (const name of kept) expect(name).toMatch(/^[0-9a-f]{64}\.\d+$/)

    const after = await store.verify()
    expect(after).toMatchObject({ checked: 1, corrupt: [] })
  })

  it('sweeps temp files of dead processes as its first step', async () => {
    const store = await openTempStore()
    await writeFile(join(store.dir, 'tmp', 'left-by-a-crash'), 'x')
    const report = await store.verify()
    expect(report.steps[0]).toMatchObject({ name: 'cleanTmp', counts: { removed: 1 } })
  })
})

describe('quarantine', () => {
  it('moves a blob aside for inspection; false when absent', async () => {
    const store = await openTempStore()
    const bytes = randomBlob(50)
    const [digest] = await putAll(store, [bytes])
    expect(await store.quarantine(digest!)).toBe(true)
    expect(await store.has(digest!)).toBeNull()
    await expect(store.read(digest!)).rejects.toMatchObject({ code: 'ENOTFOUND' })
    expect(await store.quarantine(digest!)).toBe(false)

    // Quarantined again after a re-put: the earlier copy is kept, never overwritten.
    await putAll(store, [bytes])
    expect(await store.quarantine(digest!)).toBe(true)
    const files = await filesUnder(join(store.dir, 'quarantine'))
    expect(files).toHaveLength(2)
    expect(files.every((f) => f.startsWith(digest!.slice(7)))).toBe(true)
  })
})

describe('list and usage', () => {
  it('counts blobs and bytes, ignoring stray files in blobs/', async () => {
    const store = await openTempStore()
    expect(await store.usage()).toEqual({ blobs: 0, bytes: 0 })
    const blobs = [randomBlob(10), randomBlob(2000), randomBlob(0)]
    const digests = await putAll(store, blobs)
    await writeFile(join(store.dir, 'blobs', 'sha256', 'stray'), 'x')
    expect(await store.usage()).toEqual({ blobs: 3, bytes: 2010 })
    const listed = new Map<string, number>()
    for await (const { digest, size } of store.list()) listed.set(digest, size)
    expect(listed).toEqual(new Map(digests.map((d, i) => [d, blobs[i]!.length])))
    await store.remove(digests[1]!)
    expect(await store.usage()).toEqual({ blobs: 2, bytes: 10 })
  })
})
