// The manifest's `pin:`: a digest or a commit every replica obeys, winning over the admin pin.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { pinTemplate, unpinTemplate } from '../../src/admin/actions.js'
import { templateView } from '../../src/admin/views.js'
import { collectGarbage } from '../../src/cache/gc.js'
import { parseManifest, type TemplateSpec } from '../../src/config.js'
import { adminDeps, appDeps } from '../../src/http/deps.js'
import { silentLogger } from '../../src/log.js'
import { type Fixture, fixture, ingestTree, TEMPLATES } from './read-fixture.js'

const TOKEN = 'pin-reader'
let f: Fixture
let first: { digest: string; commit: string }
let second: { digest: string; commit: string }

const specs = (pin?: string): TemplateSpec[] =>
  TEMPLATES.map((t) => ({
    ...t,
    ref: 'main',
    allow: ['config.yaml', 'prompts/**', 'agent-skills/**'],
    require: ['config.yaml'],
    ...(t.name === 'seo' && pin ? { pin } : {}),
  }))

const resolve = async () => {
  const res = await f.app.request('/v1/templates/seo', {
    headers: { authorization: `Bearer ${TOKEN}` },
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

beforeEach(async () => {
  f = await fixture({ ASSET_CACHE_READ_TOKENS: TOKEN })
  first = await ingestTree(f.rt, 'seo', { 'config.yaml': 'v: 1\n' })
  second = await ingestTree(f.rt, 'seo', { 'config.yaml': 'v: 2\n' })
})
afterEach(() => f.rt.close())

describe('manifest pin', () => {
  it('a digest pin resolves to that digest, not the current version', async () => {
    expect((await resolve()).body.digest).toBe(second.digest)
    f.rt.index.templates.sync(specs(first.digest), { now: f.rt.now() })
    const r = await resolve()
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ digest: first.digest, pinned: true })
  })

  it('a commit pin resolves to the ready version of that commit', async () => {
    f.rt.index.templates.sync(specs(first.commit), { now: f.rt.now() })
    expect((await resolve()).body).toMatchObject({ digest: first.digest, commit: first.commit })
    expect(f.rt.index.status.templatesNotReady()).toEqual(['docs', 'empty'])
  })

  it('a commit not fetched yet (or a digest not stored) is not ready, and does not fall back', async () => {
    f.rt.index.templates.sync(specs('a'.repeat(40)), { now: f.rt.now() })
    const r = await resolve()
    expect(r.status).toBe(503)
    expect(f.rt.index.status.templatesNotReady()).toContain('seo')
    f.rt.index.templates.sync(specs(`sha256:${'b'.repeat(64)}`), { now: f.rt.now() })
    expect((await resolve()).status).toBe(503)
    expect(f.rt.index.status.templatesNotReady()).toContain('seo')
  })

  it('wins over the admin pin, which is refused while it holds', async () => {
    const deps = adminDeps(appDeps({ ...f.rt, logger: silentLogger }))
    pinTemplate(deps, 'seo', first.digest)
    f.rt.index.templates.sync(specs(second.commit), { now: f.rt.now() })
    expect((await resolve()).body.digest).toBe(second.digest)
    const refused = (fn: () => void) => {
      try {
        fn()
      } catch (err) {
        return (err as { code?: string }).code
      }
      return null
    }
    expect(refused(() => pinTemplate(deps, 'seo', first.digest))).toBe('PINNED_BY_MANIFEST')
    expect(refused(() => unpinTemplate(deps, 'seo'))).toBe('PINNED_BY_MANIFEST')
    const view = templateView(f.rt, f.rt.index.templates.get('seo')!)
    expect(view.pinned).toMatchObject({ by: 'manifest', commit: second.commit, local: false })
  })

  it('an admin pin with peers configured is shown as this replica’s own', async () => {
    const peered = await fixture({
      ASSET_CACHE_READ_TOKENS: TOKEN,
      ASSET_CACHE_PEERS: 'http://10.0.0.2:8080,http://10.0.0.3:8080',
    })
    const own = await ingestTree(peered.rt, 'seo', { 'config.yaml': 'v: 1\n' })
    pinTemplate(adminDeps(appDeps({ ...peered.rt, logger: silentLogger })), 'seo', own.digest)
    const view = templateView(peered.rt, peered.rt.index.templates.get('seo')!)
    expect(view.pinned).toMatchObject({ by: 'admin', digest: own.digest, local: true })
    const alone = templateView(f.rt, f.rt.index.templates.get('seo')!)
    expect(alone.pinned).toBeNull()
    peered.rt.close()
  })

  it('a pin change is an update of the manifest; GC keeps a pinned digest', async () => {
    expect(f.rt.index.templates.plan(specs(first.commit)).updated).toEqual(['seo'])
    f.rt.index.templates.sync(specs(first.digest), { now: f.rt.now() })
    expect(f.rt.index.templates.plan(specs(first.digest)).updated).toEqual([])
    for (let i = 3; i < 8; i++) await ingestTree(f.rt, 'seo', { 'config.yaml': `v: ${i}\n` })
    await collectGarbage(
      { index: f.rt.index, store: f.rt.store, now: f.rt.now },
      { budgetBytes: 0, keepVersions: 1 },
    )
    expect(f.rt.index.bundles.get(first.digest)).not.toBeNull()
    expect(f.rt.index.bundles.get(second.digest)).toBeNull()
  })

  it('the manifest refuses a pin that is neither a digest nor a commit id, naming the field', () => {
    const bad = (pin: string) =>
      JSON.stringify({ workspace_templates: [{ name: 'seo', repo: 'acme/seo', pin }] })
    for (const pin of [
      'main',
      `sha256:${'A'.repeat(64)}`,
      'a'.repeat(39),
      `sha512:${'a'.repeat(64)}`,
    ]) {
      expect(() => parseManifest(bad(pin), 't.json')).toThrow(/workspace_templates\[0\]\.pin/)
    }
    expect(parseManifest(bad('c'.repeat(64)), 't.json')[0]!.pin).toBe('c'.repeat(64))
  })
})
