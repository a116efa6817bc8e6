// Garbage collection over a real runtime (SQLite file, blob store in a temp dir): what it keeps,
// the budget, dry runs, and races with an ingest of the same digest.
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { collectGarbage, settleDetached } from '../../src/cache/gc.js'
import type { Runtime } from '../../src/runtime.js'
import type { ContentStore } from '../../src/store/index.js'
import { ingestTree } from '../http/read-fixture.js'
import { testRuntime } from '../support/runtime.js'

let rt: Runtime | null = null
afterEach(() => {
  rt?.close()
  rt = null
})

const TEMPLATES = [
  { name: 'seo', repo: 'acme/seo' },
  { name: 'docs', repo: 'acme/docs' },
]

/** A tree whose bundle is about `kib` KiB and unique to `tag`. */
const tree = (tag: string, kib = 4) => ({
  'config.yaml': `name: ${tag}\n`,
  'prompts/body.md': `${tag}\n${'x'.repeat(kib * 1024)}`,
})

async function setup(versions: number) {
  rt = await testRuntime(TEMPLATES)
  const seo: string[] = []
  for (let i = 0; i < versions; i++)
    seo.push((await ingestTree(rt, 'seo', tree(`seo-${i}`))).digest)
  const docs = (await ingestTree(rt, 'docs', tree('docs-0'))).digest
  return { rt, seo, docs }
}

const blobExists = (r: Runtime, digest: string) => existsSync(r.store.contentPath(digest))

/** Every indexed bundle has its bytes, and nothing is left detached. */
function assertConsistent(r: Runtime) {
  for (const b of r.index.bundles.all()) expect(blobExists(r, b.digest), b.digest).toBe(true)
  expect(readdirSync(join(r.store.dir, 'evicting'))).toEqual([])
}

describe('gc', () => {
  it('keeps the current, the pinned and the newest N; evicts the rest least recently served first', async () => {
    const { rt, seo, docs } = await setup(6)
    // seo: 0 … 5, 5 is current. Pin 0. Mark 1 as served recently, so 2 goes before it.
    rt.index.templates.setPin('seo', seo[0]!, Date.now())
    rt.index.bundles.markServed(seo[1]!, Date.now())
    const report = await collectGarbage(rt, { budgetBytes: 0, keepVersions: 2 })
    const removed = report.removed.map((r) => r.digest)
    // Protected: 5 (current, newest), 4 (newest 2), 0 (pinned), docs (current).
    expect(removed).toEqual([seo[2], seo[3], seo[1]])
    for (const d of [seo[0]!, seo[4]!, seo[5]!, docs]) {
      expect(rt.index.bundles.get(d)).not.toBeNull()
      expect(blobExists(rt, d)).toBe(true)
    }
    for (const d of removed) {
      expect(rt.index.bundles.get(d!)).toBeNull()
      expect(blobExists(rt, d!)).toBe(false)
      expect(rt.index.bundles.files(d!)).toEqual([])
    }
    expect(report.freedBytes).toBe(report.removed.reduce((n, r) => n + r.size, 0))
    expect(report.freedBytes).toBeGreaterThan(3 * 4096)
    expect(report.overBudget).toBe(true) // what is left is all protected
    expect(report.after.bytes).toBe(report.before.bytes - report.freedBytes)
    expect(report.steps.map((s) => s.name)).toEqual(['select', 'evict'])
    // History stays: the evicted versions are still listed, with their digests.
    expect(rt.index.versions.list('seo')).toHaveLength(6)
    assertConsistent(rt)
    console.log(
      `gc freed ${report.freedBytes} bytes (${report.removed.length} bundles), ${report.before.bytes} → ${report.after.bytes} bytes`,
    )
  })

  it('stops as soon as the store is under budget', async () => {
    const { rt, seo } = await setup(5)
    const { bytes } = rt.index.retention.usage()
    const oldest = rt.index.bundles.get(seo[0]!)!
    const report = await collectGarbage(rt, { budgetBytes: bytes - 1, keepVersions: 1 })
    expect(report.removed.map((r) => r.digest)).toEqual([seo[0]])
    expect(report.freedBytes).toBe(oldest.size)
    expect(report.overBudget).toBe(false)
    expect(rt.index.retention.usage().bytes).toBeLessThanOrEqual(bytes - 1)
  })

  it('removes nothing when the store is within budget', async () => {
    const { rt } = await setup(4)
    const report = await collectGarbage(rt, { budgetBytes: 2 * 1024 ** 3, keepVersions: 1 })
    expect(report.removed).toEqual([])
    expect(report.freedBytes).toBe(0)
  })

  it('removes nothing on a dry run, and reports what a real run removes', async () => {
    const { rt } = await setup(5)
    const rowsBefore = rt.index.bundles.all()
    const dry = await collectGarbage(rt, { budgetBytes: 0, keepVersions: 1, dryRun: true })
    expect(dry.dryRun).toBe(true)
    expect(dry.removed.length).toBe(4)
    expect(rt.index.bundles.all()).toEqual(rowsBefore)
    for (const b of rowsBefore) expect(blobExists(rt, b.digest)).toBe(true)
    const real = await collectGarbage(rt, { budgetBytes: 0, keepVersions: 1 })
    expect(real.removed.map((r) => r.digest)).toEqual(dry.removed.map((r) => r.digest))
    expect(real.freedBytes).toBe(dry.freedBytes)
  })

  it('tells the caller each removed digest (the hot cache drops it)', async () => {
    const { rt } = await setup(3)
    const told: string[] = []
    const report = await collectGarbage(rt, {
      budgetBytes: 0,
      keepVersions: 1,
      onRemoved: (d) => told.push(d),
    })
    expect(told).toEqual(report.removed.map((r) => r.digest))
  })
})

/** A store whose method `name` runs `between` after the real call returns (forces an order). */
function interleave<K extends 'put' | 'detach'>(
  store: ContentStore,
  name: K,
  between: () => Promise<unknown>,
): ContentStore {
  let done = false
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver)
      if (prop !== name || typeof value !== 'function') {
        return typeof value === 'function' ? value.bind(target) : value
      }
      return async (...args: unknown[]) => {
        const result = await value.apply(target, args)
        if (!done) {
          done = true
          await between()
        }
        return result
      }
    },
  })
}

describe('gc racing an ingest of the same digest', () => {
  it('an ingest that found the bytes just before gc evicted them puts them back', async () => {
    const { rt, seo } = await setup(3)
    const old = seo[0]! // evictable with keepVersions 1
    let gcReport: Awaited<ReturnType<typeof collectGarbage>> | null = null
    // docs ingests the same content as seo's oldest version; gc runs right after its put().
    const racing = {
      ...rt,
      store: interleave(rt.store, 'put', async () => {
        gcReport = await collectGarbage(rt!, { budgetBytes: 0, keepVersions: 1 })
      }),
    }
    const r = await ingestTree(racing as Runtime, 'docs', tree('seo-0'))
    expect(r.digest).toBe(old)
    expect(gcReport!.removed.map((x) => x.digest)).toContain(old)
    // The row is back (docs' newest version) and so are the bytes.
    expect(rt.index.bundles.get(old)).not.toBeNull()
    expect(blobExists(rt, old)).toBe(true)
    expect(await rt.store.read(old)).toBeInstanceOf(Buffer)
    assertConsistent(rt)
  })

  it('gc that detached bytes an ingest then claimed puts them back', async () => {
    const { rt, seo } = await setup(3)
    const old = seo[0]!
    const racing = {
      ...rt,
      store: interleave(rt.store, 'detach', async () => {
        // Between gc's detach and its transaction, docs ingests the same content.
        await ingestTree(rt!, 'docs', tree('seo-0'))
      }),
    }
    const report = await collectGarbage(racing as Runtime, { budgetBytes: 0, keepVersions: 1 })
    expect(report.removed.map((r) => r.digest)).not.toContain(old)
    expect(rt.index.bundles.get(old)).not.toBeNull()
    expect(blobExists(rt, old)).toBe(true)
    assertConsistent(rt)
  })

  it('loses nothing over many unordered races', async () => {
    const { rt } = await setup(2)
    for (let round = 0; round < 12; round++) {
      // Versions for seo that become evictable, and docs re-ingesting their content at once.
      const tag = `race-${round}`
      await ingestTree(rt, 'seo', tree(tag))
      await ingestTree(rt, 'seo', tree(`${tag}-next`))
      await Promise.all([
        collectGarbage(rt, { budgetBytes: 0, keepVersions: 1 }),
        new Promise((r) => setTimeout(r, round % 4)).then(() => ingestTree(rt, 'docs', tree(tag))),
        collectGarbage(rt, { budgetBytes: 0, keepVersions: 1 }),
      ])
      assertConsistent(rt)
      const docs = rt.index.templates.get('docs')!
      const current = rt.index.versions.get(docs.currentVersionId!)!
      expect(blobExists(rt, current.digest!)).toBe(true)
    }
  })
})

describe('start-up after an interrupted gc', () => {
  it('puts back detached bytes whose row survived and deletes the rest', async () => {
    const { rt, seo } = await setup(3)
    const kept = await rt.store.detach(seo[0]!) // crash before the transaction
    const gone = await rt.store.detach(seo[1]!) // crash after it
    rt.index.bundles.remove(seo[1]!)
    expect(kept && gone).toBeTruthy()
    const settled = await settleDetached(rt)
    expect(settled).toEqual({ reattached: [seo[0]], discarded: [seo[1]] })
    expect(blobExists(rt, seo[0]!)).toBe(true)
    expect(blobExists(rt, seo[1]!)).toBe(false)
    assertConsistent(rt)
  })
})
