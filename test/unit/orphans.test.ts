import { utimes } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { removeOrphanBlobs } from '../../src/cache/orphans.js'
import type { Runtime } from '../../src/runtime.js'
import { testRuntime } from '../support/runtime.js'

let rt: Runtime
beforeEach(async () => {
  rt = await testRuntime()
})
afterEach(() => rt.close())

const put = (text: string) => rt.store.put(Readable.from([Buffer.from(text)]))
const age = (digest: string, ms: number) => {
  const t = new Date(Date.now() - ms)
  return utimes(rt.store.contentPath(digest), t, t)
}

describe('orphan blobs at start-up', () => {
  it('removes an old blob no bundle row points to, and keeps indexed and young ones', async () => {
    const orphan = await put('left by a crash between store and index')
    const young = await put('an ingest in another process may index this any moment')
    const indexed = await put('indexed')
    rt.index.transaction(() =>
      rt.index.bundles.insert(indexed.digest, indexed.size, [], Date.now()),
    )
    await age(orphan.digest, 60 * 60_000)
    await age(indexed.digest, 60 * 60_000)
    const report = await removeOrphanBlobs(rt.index, rt.store, { now: rt.now() })
    expect(report).toMatchObject({ checked: 3, removed: [orphan.digest], freedBytes: orphan.size })
    expect(await rt.store.has(orphan.digest)).toBeNull()
    expect(await rt.store.has(young.digest)).not.toBeNull()
    expect(await rt.store.has(indexed.digest)).not.toBeNull()
  })
})
