// What a name resolves to, against a history longer than any list the routes page through.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { resolveTemplate } from '../../src/cache/resolve.js'
import { digestInScope } from '../../src/db/serving.js'
import type { Runtime } from '../../src/runtime.js'
import { testRuntime } from '../support/runtime.js'

let rt: Runtime
beforeEach(async () => {
  rt = await testRuntime([{ name: 'seo', repo: 'acme/seo' }])
})
afterEach(() => rt.close())

const digest = (i: number) => `sha256:${i.toString(16).padStart(64, '0')}`
const commit = (i: number) => i.toString(16).padStart(40, '0')

describe('a pin to a version older than the newest 100', () => {
  it('still resolves to its commit, and a scoped token may read it', () => {
    for (let i = 1; i <= 150; i++) {
      const id = rt.index.versions.record(
        {
          template: 'seo',
          commit: commit(i),
          status: 'ready',
          digest: digest(i),
          source: 'cli',
        },
        Date.now(),
      )
      rt.index.templates.setCurrent('seo', id, Date.now())
    }
    rt.index.templates.setPin('seo', digest(1), Date.now())
    const r = resolveTemplate(rt.index, rt.index.templates.get('seo')!)
    expect(r).toMatchObject({ digest: digest(1), pinned: true })
    expect(r.version?.commit).toBe(commit(1))
    expect(digestInScope(rt.index, ['seo'], digest(2))).toBe(true)
    expect(digestInScope(rt.index, ['seo'], digest(151))).toBe(false)
  })
})
