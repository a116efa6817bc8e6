// The resolved view of GET /v1/templates/{name} is cached per index state: every write that can
// change what a name resolves to — a new version, pin, unpin, a manifest sync, GC of the bundle
// row, or a commit from another process (the CLI) — must show on the very next request.
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openIndex } from '../../src/db/index.js'
import { errorCode, ingestTree, seoPerTest } from './read-fixture.js'

const f = seoPerTest()

const resolve = async (name = 'seo', headers: Record<string, string> = {}) => {
  const res = await f.app.request(`/v1/templates/${name}`, { headers })
  return { res, body: res.status === 200 ? ((await res.json()) as Record<string, unknown>) : null }
}

describe('resolved view cache', () => {
  it('answers the same body and ETag twice while nothing changes', async () => {
    const a = await resolve()
    const b = await resolve()
    expect(a.res.headers.get('etag')).toBe(`"${f.seo.digest}"`)
    expect(b.res.headers.get('etag')).toBe(`"${f.seo.digest}"`)
    expect(b.body).toEqual(a.body)
    expect(a.res.headers.get('content-type')).toBe('application/json')
    const cached = await resolve('seo', { 'if-none-match': `"${f.seo.digest}"` })
    expect(cached.res.status).toBe(304)
  })

  it('moves to a new version as soon as it is recorded', async () => {
    expect((await resolve()).body?.digest).toBe(f.seo.digest)
    const next = await ingestTree(f.rt, 'seo', { 'config.yaml': 'name: seo2\n' })
    const after = await resolve()
    expect(after.body?.digest).toBe(next.digest)
    expect(after.body?.commit).toBe(next.commit)
    expect(after.res.headers.get('etag')).toBe(`"${next.digest}"`)
    const stale = await resolve('seo', { 'if-none-match': `"${f.seo.digest}"` })
    expect(stale.res.status).toBe(200)
  })

  it('follows pin and unpin', async () => {
    const next = await ingestTree(f.rt, 'seo', { 'config.yaml': 'name: seo2\n' })
    expect((await resolve()).body?.digest).toBe(next.digest)
    f.rt.index.templates.setPin('seo', f.seo.digest, Date.now())
    const pinned = await resolve()
    expect(pinned.body).toMatchObject({ digest: f.seo.digest, commit: f.seo.commit, pinned: true })
    const redirect = await f.app.request('/v1/templates/seo/bundle')
    expect(redirect.headers.get('location')).toBe(`/v1/bundles/${f.seo.digest}`)
    f.rt.index.templates.setPin('seo', null, Date.now())
    expect((await resolve()).body).toMatchObject({ digest: next.digest, pinned: false })
  })

  it('answers 404 once a sync removes the template, and 503 when its bundle row is gone', async () => {
    expect((await resolve()).res.status).toBe(200)
    f.rt.index.db.prepare('DELETE FROM bundle_files WHERE digest = ?').run(f.seo.digest)
    f.rt.index.db.prepare('DELETE FROM bundles WHERE digest = ?').run(f.seo.digest)
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
      other.templates.setPin('seo', f.seo.digest, Date.now())
    } finally {
      other.close()
    }
    expect((await resolve()).body).toMatchObject({ digest: f.seo.digest, pinned: true })
    const again = openIndex(join(f.rt.index.db.name))
    try {
      again.templates.setPin('seo', null, Date.now())
    } finally {
      again.close()
    }
    expect((await resolve()).body).toMatchObject({ digest: next.digest, pinned: false })
  })
})
