// The resolved view of GET /v1/templates/{name} is cached per index state: every write that can
// change what a name resolves to — a new version, pin, unpin, a manifest sync, GC of the bundle
// row, or a commit from another process (the CLI) — must show on the very next request.
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openIndex } from '../../src/db/index.js'
import { errorCode, type Fixture, fixture, ingestTree } from './read-fixture.js'

let f: Fixture
let seo: { digest: string; commit: string; size: number }

const resolve = async (name = 'seo', headers: Record<string, string> = {}) => {
  const res = await f.app.request(`/v1/templates/${name}`, { headers })
  return { res, body: res.status === 200 ? ((await res.json()) as Record<string, unknown>) : null }
}

beforeEach(async () => {
  f = await fixture()
  seo = await ingestTree(f.rt, 'seo', { 'config.yaml': 'name: seo\n', 'prompts/a.md': 'hello\n' })
})
afterEach(() => f.rt.close())

describe('resolved view cache', () => {
  it('answers the same body and ETag twice while nothing changes', async () => {
    const a = await resolve()
    const b = await resolve()
    expect(a.res.headers.get('etag')).toBe(`"${seo.digest}"`)
    expect(b.res.headers.get('etag')).toBe(`"${seo.digest}"`)
    expect(b.body).toEqual(a.body)
    expect(a.res.headers.get('content-type')).toBe('application/json')
    const cached = await resolve('seo', { 'if-none-match': `"${seo.digest}"` })
    expect(cached.res.status).toBe(304)
  })

  it('moves to a new version as soon as it is recorded', async () => {
    expect((await resolve()).body?.digest).toBe(seo.digest)
    const next = await ingestTree(f.rt, 'seo', { 'config.yaml': 'name: seo2\n' })
    const after = await resolve()
    expect(after.body?.digest).toBe(next.digest)
    expect(after.body?.commit).toBe(next.commit)
    expect(after.res.headers.get('etag')).toBe(`"${next.digest}"`)
    const stale = await resolve('seo', { 'if-none-match': `"${seo.digest}"` })
    expect(stale.res.status).toBe(200)
  })

  it('follows pin and unpin', async () => {
    const next = await ingestTree(f.rt, 'seo', { 'config.yaml': 'name: seo2\n' })
    expect((await resolve()).body?.digest).toBe(next.digest)
    f.rt.index.templates.setPin('seo', seo.digest)
    const pinned = await resolve()
    expect(pinned.body).toMatchObject({ digest: seo.digest, commit: seo.commit, pinned: true })
    const redirect = await f.app.request('/v1/templates/seo/bundle')
    expect(redirect.headers.get('location')).toBe(`/v1/bundles/${seo.digest}`)
    f.rt.index.templates.setPin('seo', null)
    expect((await resolve()).body).toMatchObject({ digest: next.digest, pinned: false })
  })

  it('answers 404 once a sync removes the template, and 503 when its bundle row is gone', async () => {
    expect((await resolve()).res.status).toBe(200)
    f.rt.index.db.prepare('DELETE FROM bundle_files WHERE digest = ?').run(seo.digest)
    f.rt.index.db.prepare('DELETE FROM bundles WHERE digest = ?').run(seo.digest)
    const gone = await resolve()
    expect(gone.res.status).toBe(503)
    expect(gone.res.headers.get('retry-after')).toBe('30')
    f.rt.index.templates.sync(
      f.rt.config.templates.filter((t) => t.name !== 'seo'),
      { now: f.rt.now() },
    )
    const removed = await resolve()
    expect(removed.res.status).toBe(404)
    expect(await errorCode(removed.res)).toBe('UNKNOWN_TEMPLATE')
  })

  it("sees another connection's commit (the CLI writing from another process)", async () => {
    const next = await ingestTree(f.rt, 'seo', { 'config.yaml': 'name: seo2\n' })
    expect((await resolve()).body?.digest).toBe(next.digest)
    const other = openIndex(f.rt.index.db.name)
    try {
      other.templates.setPin('seo', seo.digest)
    } finally {
      other.close()
    }
    expect((await resolve()).body).toMatchObject({ digest: seo.digest, pinned: true })
    const again = openIndex(join(f.rt.index.db.name))
    try {
      again.templates.setPin('seo', null)
    } finally {
      again.close()
    }
    expect((await resolve()).body).toMatchObject({ digest: next.digest, pinned: false })
  })
})
