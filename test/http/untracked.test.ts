// Untracked templates (ingested by hand, or removed from the manifest): they never count against
// readiness, and admins forget them through the API and the UI; tracked ones cannot be forgotten.
import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { errorCode, type Fixture, fixture, ingestTree, TEMPLATES } from './read-fixture.js'

const ADMIN = randomBytes(32).toString('hex')
const auth = { Authorization: `Bearer ${ADMIN}` }
const ORIGIN = 'http://localhost'
const formHeaders = { 'Content-Type': 'application/x-www-form-urlencoded' }

let f: Fixture | null = null
afterEach(() => {
  f?.rt.close()
  f = null
})

/** Every tracked template ready; `typo` ingested by hand and only rejected (pending forever). */
async function withUntracked(): Promise<Fixture> {
  f = await fixture({ ASSET_CACHE_ADMIN_TOKEN: ADMIN, ASSET_CACHE_FETCH: 'off' })
  for (const t of TEMPLATES) await ingestTree(f.rt, t.name, { 'config.yaml': `n: ${t.name}\n` })
  f.rt.index.templates.ensureLocal(
    'typo',
    { allow: ['config.yaml'], require: ['config.yaml'] },
    Date.now(),
  )
  f.rt.index.versions.record(
    {
      template: 'typo',
      commit: 'c'.repeat(40),
      status: 'rejected',
      reasonCode: 'MISSING_REQUIRED_FILE',
      source: 'cli',
    },
    Date.now(),
  )
  f.rt.index.templates.ensureLocal(
    'hand',
    { allow: ['config.yaml'], require: ['config.yaml'] },
    Date.now(),
  )
  await ingestTree(f.rt, 'hand', { 'config.yaml': 'n: hand\n', 'unique.txt': 'x\n' })
  return f
}

async function signIn(fx: Fixture): Promise<{ cookie: string; csrf: string }> {
  const res = await fx.app.request('/admin/login', {
    method: 'POST',
    headers: { ...formHeaders, Origin: ORIGIN },
    body: new URLSearchParams({ token: ADMIN }).toString(),
  })
  const cookie = /^(asset_cache_admin=[^;]*)/.exec(res.headers.get('set-cookie')!)![1]!
  const page = await fx.app.request('/admin/templates/typo', { headers: { Cookie: cookie } })
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!
  return { cookie, csrf }
}

describe('readiness', () => {
  it('counts tracked templates only: a pending hand-ingested one keeps /readyz at 200', async () => {
    const fx = await withUntracked()
    expect(fx.rt.index.status.templatesNotReady()).toEqual([])
    const res = await fx.app.request('/readyz')
    const body = (await res.json()) as { checks: { templates: { ok: boolean } } }
    expect(body.checks.templates).toEqual({ ok: true, notReady: [], attention: [] })
    expect(res.status).toBe(200)
    const metrics = await (await fx.app.request('/metrics')).text()
    expect(metrics).toMatch(/^asset_cache_templates_not_ready 0$/m)
    // A tracked template without a ready version still does.
    fx.rt.index.templates.sync(
      [
        ...fx.rt.config.templates,
        { name: 'new', repo: 'acme/new', ref: 'main', allow: ['config.yaml'], require: [] },
      ],
      { now: fx.rt.now() },
    )
    expect(fx.rt.index.status.templatesNotReady()).toEqual(['new'])
  })
})

describe('DELETE /v1/admin/templates/{name}', () => {
  it('forgets an untracked template with its versions; GC may then reclaim its bundle', async () => {
    const fx = await withUntracked()
    const list = (await (
      await fx.app.request('/v1/admin/templates', { headers: auth })
    ).json()) as {
      templates: { name: string; tracked: boolean }[]
    }
    expect(list.templates.find((t) => t.name === 'hand')?.tracked).toBe(false)
    expect(list.templates.find((t) => t.name === 'seo')?.tracked).toBe(true)
    const digest = fx.rt.index.versions.list('hand')[0]!.digest!
    expect(fx.rt.index.retention.isProtected(digest, 3)).toBe(true)

    const res = await fx.app.request('/v1/admin/templates/hand', {
      method: 'DELETE',
      headers: auth,
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(await res.json()).toEqual({ name: 'hand', forgotten: true, versions: 1, jobs: 0 })
    expect(fx.rt.index.templates.get('hand')).toBeNull()
    expect(fx.rt.index.versions.list('hand')).toEqual([])
    expect((await fx.app.request('/v1/templates/hand')).status).toBe(404)
    // The bundle stays indexed until GC, which may now remove it.
    expect(fx.rt.index.bundles.get(digest)).not.toBeNull()
    expect(fx.rt.index.retention.isProtected(digest, 3)).toBe(false)
    const gc = await fx.app.request('/v1/admin/gc', {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ budget: 0 }),
    })
    expect(((await gc.json()) as { removed: { digest: string }[] }).removed).toEqual([
      expect.objectContaining({ digest }),
    ])
  })

  it('refuses a tracked template (409 TEMPLATE_TRACKED), an unknown one (404) and no token', async () => {
    const fx = await withUntracked()
    const tracked = await fx.app.request('/v1/admin/templates/seo', {
      method: 'DELETE',
      headers: auth,
    })
    expect(tracked.status).toBe(409)
    expect(await errorCode(tracked)).toBe('TEMPLATE_TRACKED')
    expect(fx.rt.index.templates.get('seo')).not.toBeNull()
    const unknown = await fx.app.request('/v1/admin/templates/nope', {
      method: 'DELETE',
      headers: auth,
    })
    expect(unknown.status).toBe(404)
    expect(await errorCode(unknown)).toBe('UNKNOWN_TEMPLATE')
    const anonymous = await fx.app.request('/v1/admin/templates/typo', { method: 'DELETE' })
    expect(anonymous.status).toBe(401)
    expect(fx.rt.index.templates.get('typo')).not.toBeNull()
  })

  it('forgets a template removed from the manifest, but not one with a running refresh', async () => {
    const fx = await withUntracked()
    fx.rt.index.templates.sync(
      fx.rt.config.templates.filter((t) => t.name !== 'docs'),
      { now: fx.rt.now() },
    )
    const { job } = fx.rt.index.jobs.enqueue({ template: 'docs', trigger: 'admin' }, Date.now())
    expect(fx.rt.index.jobs.claim(Date.now())?.id).toBe(job.id)
    const forget = () =>
      fx.app.request('/v1/admin/templates/docs', { method: 'DELETE', headers: auth })
    const busy = await forget()
    expect(busy.status).toBe(409)
    expect(await errorCode(busy)).toBe('TEMPLATE_BUSY')
    fx.rt.index.jobs.complete(job.id, { result: 'skipped' }, Date.now())
    const res = await forget()
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ name: 'docs', forgotten: true, versions: 1, jobs: 1 })
  })
})

describe('admin UI', () => {
  it('marks untracked templates and forgets one with the form (CSRF checked)', async () => {
    const fx = await withUntracked()
    const s = await signIn(fx)
    const overview = await (
      await fx.app.request('/admin', { headers: { Cookie: s.cookie } })
    ).text()
    expect(overview).toMatch(/data-template="typo"[\s\S]*?<span class="badge">untracked<\/span>/)
    const page = await (
      await fx.app.request('/admin/templates/typo', { headers: { Cookie: s.cookie } })
    ).text()
    expect(page).toContain('action="/admin/templates/typo/forget"')
    const seoPage = await (
      await fx.app.request('/admin/templates/seo', { headers: { Cookie: s.cookie } })
    ).text()
    expect(seoPage).not.toContain('/forget"')

    const post = (path: string, fields: Record<string, string>) =>
      fx.app.request(path, {
        method: 'POST',
        headers: { ...formHeaders, Cookie: s.cookie, Origin: ORIGIN },
        body: new URLSearchParams(fields).toString(),
      })
    const noCsrf = await post('/admin/templates/typo/forget', {})
    expect(noCsrf.status).toBe(403)
    expect(fx.rt.index.templates.get('typo')).not.toBeNull()

    const tracked = await post('/admin/templates/seo/forget', { _csrf: s.csrf })
    expect(tracked.status).toBe(409)
    expect(await tracked.text()).toContain('TEMPLATE_TRACKED')

    const done = await post('/admin/templates/typo/forget', { _csrf: s.csrf })
    expect(done.status).toBe(303)
    expect(done.headers.get('location')).toBe('/admin?done=forgotten')
    expect(fx.rt.index.templates.get('typo')).toBeNull()
    const after = await (
      await fx.app.request('/admin?done=forgotten', { headers: { Cookie: s.cookie } })
    ).text()
    expect(after).toContain('Template forgotten')
    expect(after).not.toContain('data-template="typo"')
  })
})
