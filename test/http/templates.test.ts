import { describe, expect, it } from 'vitest'
import { errorCode, ingestTree, seoPerTest } from './read-fixture.js'

const f = seoPerTest()

describe('GET /v1/templates', () => {
  it('lists active templates with their resolved digest and status', async () => {
    const res = await f.app.request('/v1/templates')
    expect(res.status).toBe(200)
    const body = (await res.json()) as Record<string, unknown>[]
    expect(body).toEqual([
      {
        name: 'docs',
        repo: 'acme/docs',
        ref: 'main',
        digest: null,
        commit: null,
        status: 'pending',
      },
      {
        name: 'empty',
        repo: 'acme/empty',
        ref: 'main',
        digest: null,
        commit: null,
        status: 'pending',
      },
      {
        name: 'seo',
        repo: 'acme/agent-template-seo',
        ref: 'main',
        digest: f.seo.digest,
        commit: f.seo.commit,
        status: 'ready',
      },
    ])
  })

  it('reports the pinned digest when a template is pinned', async () => {
    const next = await ingestTree(f.rt, 'seo', { 'config.yaml': 'name: seo2\n' })
    expect(next.digest).not.toBe(f.seo.digest)
    f.rt.index.db
      .prepare('UPDATE templates SET pinned_digest = ? WHERE name = ?')
      .run(f.seo.digest, 'seo')
    const list = (await (await f.app.request('/v1/templates')).json()) as { digest: string }[]
    expect(list.find((t) => (t as unknown as { name: string }).name === 'seo')?.digest).toBe(
      f.seo.digest,
    )
    const one = (await (await f.app.request('/v1/templates/seo')).json()) as Record<string, unknown>
    expect(one.digest).toBe(f.seo.digest)
    expect(one.commit).toBe(f.seo.commit)
    expect(one.pinned).toBe(true)
  })
})

describe('GET /v1/templates/{name}', () => {
  it('resolves to the current bundle with an ETag', async () => {
    const res = await f.app.request('/v1/templates/seo')
    expect(res.status).toBe(200)
    expect(res.headers.get('etag')).toBe(`"${f.seo.digest}"`)
    expect(res.headers.get('cache-control')).toBe('no-cache')
    const body = (await res.json()) as Record<string, unknown>
    expect(body).toMatchObject({
      name: 'seo',
      repo: 'acme/agent-template-seo',
      ref: 'main',
      commit: f.seo.commit,
      digest: f.seo.digest,
      size: f.seo.size,
      fileCount: 2,
      bundleUrl: `/v1/bundles/${f.seo.digest}`,
      pinned: false,
    })
    expect(typeof body.readyAt).toBe('number')
  })

  it.each([
    (d: string) => `"${d}"`,
    (d: string) => `W/"${d}"`,
    (d: string) => `"sha256:${'0'.repeat(64)}", "${d}"`,
    () => '*',
  ])('answers 304 to a matching If-None-Match (%#)', async (tag) => {
    const res = await f.app.request('/v1/templates/seo', {
      headers: { 'if-none-match': tag(f.seo.digest) },
    })
    expect(res.status).toBe(304)
    expect(res.headers.get('etag')).toBe(`"${f.seo.digest}"`)
    expect(await res.text()).toBe('')
  })

  it('answers 200 to a stale If-None-Match', async () => {
    const res = await f.app.request('/v1/templates/seo', {
      headers: { 'if-none-match': `"sha256:${'0'.repeat(64)}"` },
    })
    expect(res.status).toBe(200)
  })

  it('answers 404 UNKNOWN_TEMPLATE for an unknown name', async () => {
    const res = await f.app.request('/v1/templates/nope')
    expect(res.status).toBe(404)
    expect(await errorCode(res)).toBe('UNKNOWN_TEMPLATE')
  })

  it('answers 503 NOT_READY with Retry-After while nothing is ready', async () => {
    const res = await f.app.request('/v1/templates/docs')
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('30')
    const body = (await res.json()) as { error: { code: string; requestId: string } }
    expect(body.error.code).toBe('NOT_READY')
    expect(body.error.requestId).toBe(res.headers.get('x-request-id'))
  })
})

describe('GET /v1/templates/{name}/bundle', () => {
  it('redirects 307 to the bundle URL', async () => {
    const res = await f.app.request('/v1/templates/seo/bundle')
    expect(res.status).toBe(307)
    expect(res.headers.get('location')).toBe(`/v1/bundles/${f.seo.digest}`)
  })

  it('answers 503 before anything is ready and 404 for unknown names', async () => {
    expect((await f.app.request('/v1/templates/docs/bundle')).status).toBe(503)
    expect((await f.app.request('/v1/templates/nope/bundle')).status).toBe(404)
  })
})

describe('GET /v1/templates/{name}/versions', () => {
  it('lists history newest first with the current flag', async () => {
    const next = await ingestTree(f.rt, 'seo', { 'config.yaml': 'name: seo2\n' })
    const res = await f.app.request('/v1/templates/seo/versions')
    expect(res.status).toBe(200)
    const body = (await res.json()) as Record<string, unknown>[]
    expect(body.map((v) => [v.digest, v.current, v.status])).toEqual([
      [next.digest, true, 'ready'],
      [f.seo.digest, false, 'ready'],
    ])
    expect(Object.keys(body[0]!).sort()).toEqual(
      [
        'bundleBytes',
        'commit',
        'createdAt',
        'current',
        'digest',
        'fileCount',
        'readyAt',
        'reasonCode',
        'reasonDetail',
        'reasonEntry',
        'status',
      ].sort(),
    )
  })

  it('includes rejected versions with their reason', async () => {
    await expect(ingestTree(f.rt, 'seo', { 'README.md': 'no config\n' })).rejects.toThrow()
    const body = (await (await f.app.request('/v1/templates/seo/versions')).json()) as Record<
      string,
      unknown
    >[]
    expect(body[0]).toMatchObject({ status: 'rejected', current: false, digest: null })
    expect(typeof body[0]!.reasonCode).toBe('string')
    expect(body[0]!.reasonEntry).toBeNull()
  })

  it('names the offending entry of a rejection, as it is', async () => {
    const tree = { 'config.yaml': 'name: seo\n', 'prompts/a\u202etxt.md': 'x\n' }
    await expect(ingestTree(f.rt, 'seo', tree)).rejects.toThrow()
    const body = (await (await f.app.request('/v1/templates/seo/versions')).json()) as Record<
      string,
      unknown
    >[]
    expect(body[0]).toMatchObject({
      status: 'rejected',
      reasonCode: 'PATH_BAD_CHARACTER',
      reasonEntry: 'seo/prompts/a\u202etxt.md',
    })
  })
})
