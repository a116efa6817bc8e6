// The admin UI in-process over a real runtime: sign-in and sessions, CSRF and origin checks, pin
// and unpin through forms, escaping of hostile text, security headers, no secret on any page.
import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { adviceFor } from '../../src/admin/advice.js'
import { SESSION_TTL_MS } from '../../src/http/admin-ui/session.js'
import { appWithClock, type Fixture, fixture, ingestTree } from './read-fixture.js'

const ADMIN = randomBytes(32).toString('hex')
const GITEA_TOKEN = 'gitea-token-51aa0f'
const WEBHOOK_SECRET = 'webhook-secret-0b7e'
const READ_TOKEN = 'read-token-e2c4'
const SECRETS = [ADMIN, GITEA_TOKEN, WEBHOOK_SECRET, READ_TOKEN]
const ORIGIN = 'http://localhost'

const v1 = { 'config.yaml': 'name: seo\n', 'prompts/a.md': 'one\n' }
const v2 = { 'config.yaml': 'name: seo\n', 'prompts/a.md': 'two\n', 'prompts/b.md': 'b\n' }

/** What hono's JSX renderer does to text. */
const escapeHtml = (text: string) =>
  text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;')

let f: Fixture | null = null
afterEach(() => {
  f?.rt.close()
  f = null
})

async function withAdmin(env: Record<string, string> = {}) {
  f = await fixture({
    ASSET_CACHE_ADMIN_TOKEN: ADMIN,
    GITEA_BASE_URL: 'https://git.example.com',
    GITEA_TOKEN,
    ASSET_CACHE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    ASSET_CACHE_READ_TOKENS: READ_TOKEN,
    ...env,
  })
  return f
}

type App = Fixture['app']

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString()
const formHeaders = { 'Content-Type': 'application/x-www-form-urlencoded' }

function sessionCookie(res: Response): string | null {
  const header = res.headers.get('set-cookie')
  if (!header) return null
  const m = /^asset_cache_admin=([^;]*)/.exec(header)
  return m ? m[1]! : null
}

async function signIn(app: App): Promise<{ cookie: string; csrf: string }> {
  const res = await app.request('/admin/login', {
    method: 'POST',
    headers: { ...formHeaders, Origin: ORIGIN },
    body: form({ token: ADMIN }),
  })
  expect(res.status).toBe(303)
  const id = sessionCookie(res)!
  const cookie = `asset_cache_admin=${id}`
  const page = await app.request('/admin', { headers: { Cookie: cookie } })
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!
  return { cookie, csrf }
}

function post(
  app: App,
  path: string,
  s: { cookie: string },
  fields: Record<string, string>,
  headers: Record<string, string> = { Origin: ORIGIN },
) {
  return app.request(path, {
    method: 'POST',
    headers: { ...formHeaders, Cookie: s.cookie, ...headers },
    body: form(fields),
  })
}

/** An admin-enabled fixture with v1 of seo ingested. */
async function withSeo(): Promise<Fixture> {
  const fx = await withAdmin()
  await ingestTree(fx.rt, 'seo', v1)
  return fx
}

/** The fixture `opened` answers, with an admin session signed in over it. */
async function signedIn(
  opened: Promise<Fixture>,
): Promise<{ fx: Fixture; s: { cookie: string; csrf: string } }> {
  const fx = await opened
  return { fx, s: await signIn(fx.app) }
}

/** The HTML of an admin page, as the signed-in session sees it. */
async function pageAs(app: App, path: string, s: { cookie: string }): Promise<string> {
  return (await app.request(path, { headers: { Cookie: s.cookie } })).text()
}

type VersionRecord = Parameters<Fixture['rt']['index']['versions']['record']>[0]

/** Records a rejected version of seo, from a webhook, with `fields` naming why. */
function recordRejected(
  fx: Fixture,
  fields: Omit<VersionRecord, 'template' | 'commit' | 'status' | 'source'>,
) {
  return fx.rt.index.versions.record(
    {
      template: 'seo',
      commit: 'c'.repeat(40),
      status: 'rejected',
      source: 'webhook',
      ...fields,
    },
    Date.now(),
  )
}

function expectSecurityHeaders(res: Response) {
  expect(res.headers.get('cache-control')).toBe('no-store')
  expect(res.headers.get('content-security-policy')).toBe(
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  )
  expect(res.headers.get('x-frame-options')).toBe('DENY')
  expect(res.headers.get('referrer-policy')).toBe('same-origin')
}

describe('admin disabled', () => {
  it('answers 503 with a readable page on every /admin page', async () => {
    f = await fixture()
    for (const [method, path] of [
      ['GET', '/admin'],
      ['GET', '/admin/login'],
      ['POST', '/admin/login'],
      ['GET', '/admin/templates/seo'],
      ['POST', '/admin/templates/seo/unpin'],
      ['GET', '/admin/queue'],
      ['POST', '/admin/gc'],
    ] as const) {
      const res = await f.app.request(path, {
        method,
        headers: formHeaders,
        ...(method === 'POST' ? { body: form({ token: 'anything' }) } : {}),
      })
      expect(res.status, `${method} ${path}`).toBe(503)
      expect(res.headers.get('content-type')).toMatch(/^text\/html/)
      expectSecurityHeaders(res)
      const body = await res.text()
      expect(body).toContain('Admin is disabled')
      expect(body).toContain('ASSET_CACHE_ADMIN_TOKEN')
      expect(res.headers.get('set-cookie')).toBeNull()
    }
  })
})

describe('sign-in', () => {
  it('redirects to the sign-in page when not signed in', async () => {
    const fx = await withAdmin()
    for (const path of ['/admin', '/admin/templates/seo', '/admin/queue', '/admin/store']) {
      const res = await fx.app.request(path)
      expect(res.status, path).toBe(303)
      expect(res.headers.get('location')).toBe('/admin/login')
      expectSecurityHeaders(res)
    }
    // A forged or stale cookie is no session.
    const stale = await fx.app.request('/admin', { headers: { Cookie: 'asset_cache_admin=nope' } })
    expect(stale.status).toBe(303)
    const login = await fx.app.request('/admin/login')
    expect(login.status).toBe(200)
    expectSecurityHeaders(login)
    const html = await login.text()
    expect(html).toContain('<meta name="viewport"')
    expect(html).toMatch(/<input[^>]*name="token"[^>]*type="password"/)
  })

  it('answers a wrong token with 401, an error and no cookie, never echoing it', async () => {
    const fx = await withAdmin()
    for (const token of ['', 'wrong-token-value', `${ADMIN}x`, READ_TOKEN]) {
      const res = await fx.app.request('/admin/login', {
        method: 'POST',
        headers: { ...formHeaders, Origin: ORIGIN },
        body: form({ token }),
      })
      expect(res.status).toBe(401)
      expect(res.headers.get('set-cookie')).toBeNull()
      const body = await res.text()
      expect(body).toContain('That token is not valid.')
      if (token) expect(body).not.toContain(token)
    }
  })

  it('after 10 wrong tokens from an address refuses to sign in, even with the right one', async () => {
    const fx = await withAdmin()
    const env = { incoming: { socket: { remoteAddress: '203.0.113.9' } } }
    const signInWith = (token: string) =>
      fx.app.request(
        '/admin/login',
        { method: 'POST', headers: { ...formHeaders, Origin: ORIGIN }, body: form({ token }) },
        env,
      )
    for (let i = 0; i < 10; i++) expect((await signInWith(`guess-${i}`)).status).toBe(401)
    const res = await signInWith(ADMIN)
    expect(res.status).toBe(429)
    expect(res.headers.get('set-cookie')).toBeNull()
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(await res.text()).toContain('Too many wrong tokens from this address.')
  })

  it('counts sign-ins that race each other: 10 wrong ones, then 429 even for the right token', async () => {
    const fx = await withAdmin()
    const env = { incoming: { socket: { remoteAddress: '203.0.113.10' } } }
    // Every body arrives late, so all 40 requests are in flight before any token is compared.
    const slowBody = (token: string) =>
      new ReadableStream<Uint8Array>({
        async pull(controller) {
          await new Promise((resolve) => setTimeout(resolve, 50))
          controller.enqueue(new TextEncoder().encode(form({ token })))
          controller.close()
        },
      })
    const tokens = [...Array.from({ length: 39 }, (_, i) => `guess-${i}`), ADMIN]
    const statuses = await Promise.all(
      tokens.map(async (token) => {
        const req = new Request('http://localhost/admin/login', {
          method: 'POST',
          headers: { ...formHeaders, Origin: ORIGIN },
          body: slowBody(token),
          duplex: 'half',
        } as RequestInit)
        return (await fx.app.request(req, undefined, env)).status
      }),
    )
    expect(statuses.filter((s) => s === 401)).toHaveLength(10)
    expect(statuses.filter((s) => s === 429)).toHaveLength(30)
    expect(statuses).not.toContain(303)
  })

  it('sets an HttpOnly, SameSite=Strict session cookie that is not the token', async () => {
    const fx = await withAdmin()
    const res = await fx.app.request('/admin/login', {
      method: 'POST',
      headers: { ...formHeaders, Origin: ORIGIN },
      body: form({ token: ADMIN }),
    })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/admin')
    const header = res.headers.get('set-cookie')!
    expect(header).toContain('HttpOnly')
    expect(header).toContain('SameSite=Strict')
    expect(header).toContain('Path=/admin')
    expect(header).not.toContain('Secure')
    const value = sessionCookie(res)!
    expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(value).not.toContain(ADMIN)
    expect(header).not.toContain(ADMIN)
    const page = await fx.app.request('/admin', {
      headers: { Cookie: `asset_cache_admin=${value}` },
    })
    expect(page.status).toBe(200)
  })

  it('marks the cookie Secure over https', async () => {
    const fx = await withAdmin()
    const res = await fx.app.request('https://cache.example.com/admin/login', {
      method: 'POST',
      headers: { ...formHeaders, Origin: 'https://cache.example.com' },
      body: form({ token: ADMIN }),
    })
    expect(res.status).toBe(303)
    expect(res.headers.get('set-cookie')).toContain('Secure')
  })

  it('ends the session on sign-out and after its expiry', async () => {
    const { fx, s } = await signedIn(withAdmin())
    const out = await post(fx.app, '/admin/logout', s, { _csrf: s.csrf })
    expect(out.status).toBe(303)
    expect(out.headers.get('location')).toBe('/admin/login')
    expect(out.headers.get('set-cookie')).toMatch(/asset_cache_admin=;.*Max-Age=0/)
    expect((await fx.app.request('/admin', { headers: { Cookie: s.cookie } })).status).toBe(303)

    let now = Date.now()
    const app = appWithClock(fx, () => now)
    const s2 = await signIn(app)
    now += SESSION_TTL_MS - 1000
    expect((await app.request('/admin', { headers: { Cookie: s2.cookie } })).status).toBe(200)
    now += 2000
    expect((await app.request('/admin', { headers: { Cookie: s2.cookie } })).status).toBe(303)
    // Sessions belong to one app: another app over the same runtime does not know this one.
    const s3 = await signIn(app)
    expect((await fx.app.request('/admin', { headers: { Cookie: s3.cookie } })).status).toBe(303)
  })
})

describe('CSRF', () => {
  it('refuses a state-changing POST without the CSRF token, with a wrong one, or cross-origin', async () => {
    const fx = await withAdmin()
    const { digest } = await ingestTree(fx.rt, 'seo', v1)
    const s = await signIn(fx.app)
    const pin = (fields: Record<string, string>, headers?: Record<string, string>) =>
      post(fx.app, '/admin/templates/seo/pin', s, fields, headers)
    const cases: [string, Response | Promise<Response>][] = [
      ['no token', pin({ digest })],
      ['empty token', pin({ digest, _csrf: '' })],
      ['wrong token', pin({ digest, _csrf: `${s.csrf}x` })],
      ['foreign origin', pin({ digest, _csrf: s.csrf }, { Origin: 'https://evil.example' })],
      ['null origin', pin({ digest, _csrf: s.csrf }, { Origin: 'null' })],
      ['other port', pin({ digest, _csrf: s.csrf }, { Origin: 'http://localhost:8081' })],
      [
        'foreign referer',
        pin({ digest, _csrf: s.csrf }, { Referer: 'https://evil.example/admin/templates/seo' }),
      ],
    ]
    for (const [what, pending] of cases) {
      const res = await pending
      expect(res.status, what).toBe(403)
      expectSecurityHeaders(res)
      expect(await res.text(), what).toContain('CSRF_REJECTED')
    }
    // A cross-origin sign-in is refused too (login CSRF).
    const login = await fx.app.request('/admin/login', {
      method: 'POST',
      headers: { ...formHeaders, Origin: 'https://evil.example' },
      body: form({ token: ADMIN }),
    })
    expect(login.status).toBe(403)
    expect(login.headers.get('set-cookie')).toBeNull()
    // GC and verify need the token too.
    expect((await post(fx.app, '/admin/gc', s, {})).status).toBe(403)
    expect((await post(fx.app, '/admin/verify', s, {})).status).toBe(403)
    expect((await post(fx.app, '/admin/logout', s, {})).status).toBe(403)
    expect(fx.rt.index.templates.get('seo')!.pinnedDigest).toBeNull()

    // Same origin, by Origin or by Referer only, with the token: accepted.
    const ok = await pin({ digest, _csrf: s.csrf }, { Referer: `${ORIGIN}/admin/templates/seo` })
    expect(ok.status).toBe(303)
    expect(fx.rt.index.templates.get('seo')!.pinnedDigest).toBe(digest)
  })

  it('does not let a POST without a session change anything', async () => {
    const fx = await withAdmin()
    const { digest } = await ingestTree(fx.rt, 'seo', v1)
    const res = await fx.app.request('/admin/templates/seo/pin', {
      method: 'POST',
      headers: { ...formHeaders, Origin: ORIGIN },
      body: form({ digest }),
    })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/admin/login')
    expect(fx.rt.index.templates.get('seo')!.pinnedDigest).toBeNull()
  })
})

describe('pages and actions', () => {
  it('pins and unpins through the forms', async () => {
    const fx = await withAdmin()
    const old = await ingestTree(fx.rt, 'seo', v1)
    const cur = await ingestTree(fx.rt, 'seo', v2)
    const s = await signIn(fx.app)

    const overview = await pageAs(fx.app, '/admin', s)
    expect(overview).toContain('href="/admin/templates/seo"')
    expect(overview).toContain(`title="${cur.digest}"`)
    expect(overview).not.toContain('badge pinned')

    const page = await fx.app.request('/admin/templates/seo', { headers: { Cookie: s.cookie } })
    expect(page.status).toBe(200)
    const html = await page.text()
    // Nothing is pinned yet: every stored ready version has a pin button.
    expect(html).toContain(`name="digest" value="${old.digest}"`)
    expect(html).toContain(`href="https://git.example.com/acme/agent-template-seo/commit/`)

    const pinned = await post(fx.app, '/admin/templates/seo/pin', s, {
      _csrf: s.csrf,
      digest: old.digest,
    })
    expect(pinned.status).toBe(303)
    expect(pinned.headers.get('location')).toBe('/admin/templates/seo?done=pinned')
    expect(fx.rt.index.templates.get('seo')!.pinnedDigest).toBe(old.digest)

    const after = await pageAs(fx.app, '/admin/templates/seo?done=pinned', s)
    expect(after).toContain('Pinned. Provisioners now get this version')
    expect(after).toContain('action="/admin/templates/seo/unpin"')
    expect(await pageAs(fx.app, '/admin', s)).toContain('badge pinned')
    const api = await fx.app.request('/v1/templates/seo', {
      headers: { Authorization: `Bearer ${READ_TOKEN}` },
    })
    expect(await api.json()).toMatchObject({ digest: old.digest, pinned: true })

    const unpinned = await post(fx.app, '/admin/templates/seo/unpin', s, { _csrf: s.csrf })
    expect(unpinned.status).toBe(303)
    expect(unpinned.headers.get('location')).toBe('/admin/templates/seo?done=unpinned')
    expect(fx.rt.index.templates.get('seo')!.pinnedDigest).toBeNull()
    const overview2 = await pageAs(fx.app, '/admin', s)
    expect(overview2).not.toContain('badge pinned')
  })

  it("shows a pinned template's Since as the time it was pinned, not when its bundle was ready", async () => {
    const fx = await withAdmin()
    const old = await ingestTree(fx.rt, 'seo', v1)
    await ingestTree(fx.rt, 'seo', v2)
    const readyAt = fx.rt.index.versions.byCommit('seo', old.commit)!.readyAt!
    const pinnedAt = readyAt + 3_600_000
    fx.rt.index.templates.setPin('seo', old.digest, pinnedAt)
    const s = await signIn(fx.app)
    const html = await pageAs(fx.app, '/admin', s)
    const row = /<tr data-template="seo">[\s\S]*?<\/tr>/.exec(html)![0]
    const since = /<td data-label="Since"[^>]*>([\s\S]*?)<\/td>/.exec(row)![1]!
    expect(since).toContain(`datetime="${new Date(pinnedAt).toISOString()}"`)
    const api = await fx.app.request('/v1/admin/templates/seo', {
      headers: { Authorization: `Bearer ${ADMIN}` },
    })
    const { template } = (await api.json()) as { template: { since: number; pinned: object } }
    expect(template).toMatchObject({
      since: pinnedAt,
      pinned: { digest: old.digest, at: pinnedAt },
    })
  })

  it('shows a deleted branch, and each last error with its advice', async () => {
    const fx = await withSeo()
    fx.rt.index.branches.markDeleted('seo', 'main', 'delete-1', Date.now())
    fx.rt.index.versions.record(
      {
        template: 'docs',
        commit: 'e'.repeat(40),
        status: 'failed',
        reasonCode: 'GITEA_ARCHIVE_TIMEOUT',
        reasonDetail: 'archive download: Gitea did not start sending the archive within 120 s',
        source: 'reconcile',
      },
      Date.now(),
    )
    const s = await signIn(fx.app)
    const html = await pageAs(fx.app, '/admin', s)
    const row = (name: string) =>
      new RegExp(`<tr data-template="${name}">[\\s\\S]*?</tr>`).exec(html)![0]
    expect(row('seo')).toContain('branch deleted')
    expect(row('seo')).toContain('<code title="branch main was deleted in Gitea')
    expect(row('seo')).toContain(adviceFor('BRANCH_DELETED'))
    expect(row('docs')).toContain('GITEA_ARCHIVE_TIMEOUT')
    expect(row('docs')).toContain(escapeHtml(adviceFor('GITEA_ARCHIVE_TIMEOUT')))
    expect(row('empty')).not.toContain('branch deleted')
    const page = await pageAs(fx.app, '/admin/templates/seo', s)
    expect(page).toContain('<span class="badge">branch deleted</span>')
    expect(page).toContain('<dt>What to do</dt>')
    const api = await fx.app.request('/v1/admin/templates/seo', {
      headers: { Authorization: `Bearer ${ADMIN}` },
    })
    const { template } = (await api.json()) as {
      template: { health: string; branchDeleted: { at: number } | null; lastError: object }
    }
    expect(template).toMatchObject({
      health: 'stale',
      branchDeleted: { at: expect.any(Number) },
      lastError: { code: 'BRANCH_DELETED', advice: adviceFor('BRANCH_DELETED') },
    })
  })

  it('shows an action error as a readable message with its code', async () => {
    const { fx, s } = await signedIn(withSeo())
    const bad = await post(fx.app, '/admin/templates/seo/pin', s, {
      _csrf: s.csrf,
      digest: 'not-a-digest<b>',
    })
    expect(bad.status).toBe(400)
    const text = await bad.text()
    expect(text).toContain('INVALID_DIGEST')
    expect(text).not.toContain('not-a-digest<b>')
    const other = await post(fx.app, '/admin/templates/seo/pin', s, {
      _csrf: s.csrf,
      digest: `sha256:${'ab'.repeat(32)}`,
    })
    expect(other.status).toBe(409)
    expect(await other.text()).toContain('NOT_A_READY_VERSION')
    const unknown = await post(fx.app, '/admin/templates/nope/unpin', s, { _csrf: s.csrf })
    expect(unknown.status).toBe(404)
    expect(await unknown.text()).toContain('UNKNOWN_TEMPLATE')
    // An unknown flash key shows nothing; the query string never supplies text.
    const page = await fx.app.request('/admin/templates/seo?done=%3Cscript%3Ealert(1)', {
      headers: { Cookie: s.cookie },
    })
    expect(await page.text()).not.toMatch(/<script|alert\(1\)/)
  })

  it('queues a refresh through the form', async () => {
    const { fx, s } = await signedIn(withAdmin())
    const res = await post(fx.app, '/admin/templates/seo/refresh', s, { _csrf: s.csrf })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/admin/templates/seo?done=refresh-queued')
    expect(fx.enqueued.map((j) => [j.template, j.trigger])).toEqual([['seo', 'admin']])
    const again = await post(fx.app, '/admin/templates/seo/refresh', s, { _csrf: s.csrf })
    expect(again.headers.get('location')).toBe('/admin/templates/seo?done=refresh-coalesced')
    const queue = await pageAs(fx.app, '/admin/queue', s)
    expect(queue).toContain('href="/admin/templates/seo"')
    expect(queue).toContain('pill queued')
  })

  it('runs GC (dry run and real) and verify and shows their reports', async () => {
    const { fx, s } = await signedIn(withSeo())
    const dry = await post(fx.app, '/admin/gc', s, { _csrf: s.csrf, dryRun: '1' })
    expect(dry.status).toBe(200)
    const dryHtml = await dry.text()
    expect(dryHtml).toContain('GC dry run')
    expect(dryHtml).toContain('Would free')
    const gc = await post(fx.app, '/admin/gc', s, { _csrf: s.csrf })
    expect(await gc.text()).toContain('Freed')
    const verify = await post(fx.app, '/admin/verify', s, { _csrf: s.csrf })
    expect(verify.status).toBe(200)
    expect(await verify.text()).toContain('All 1 blob(s) verified.')
  })

  it('escapes hostile text from versions and deliveries', async () => {
    const fx = await withSeo()
    const hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    recordRejected(fx, {
      reasonCode: 'CONFIG_NOT_MAPPING',
      reasonDetail: hostile,
      deliveryId: `d-${hostile}`,
    })
    fx.rt.index.deliveries.record(
      {
        deliveryId: hostile,
        event: 'push',
        repo: 'acme/agent-template-seo',
        ref: 'main',
        after: 'c'.repeat(40),
        outcome: 'ignored',
        reason: hostile,
      },
      Date.now(),
    )
    const s = await signIn(fx.app)
    for (const path of ['/admin', '/admin/templates/seo', '/admin/queue']) {
      const html = await pageAs(fx.app, path, s)
      expect(html, path).not.toContain('<script')
      expect(html, path).not.toContain('<img')
    }
    const page = await pageAs(fx.app, '/admin/templates/seo', s)
    expect(page).toContain('CONFIG_NOT_MAPPING')
    expect(page).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;')
  })

  it('shows the entry a rejection names, escaped as HTML and as characters', async () => {
    const fx = await withSeo()
    // Markup, a bidi override, a terminal escape and a line separator, as an archive could name them.
    const entry = 'tpl/prompts/<img src=x onerror=alert(1)>\u202egpj.exe\u001b[2J\u2028.md'
    recordRejected(fx, {
      reasonCode: 'PATH_BAD_CHARACTER',
      reasonDetail: 'entry path refused',
      reasonEntry: entry,
    })
    const s = await signIn(fx.app)
    const page = await pageAs(fx.app, '/admin/templates/seo', s)
    expect(page).not.toContain('<img')
    for (const c of ['\u202e', '\u001b', '\u2028']) expect(page).not.toContain(c)
    const shown =
      'tpl/prompts/&lt;img src=x onerror=alert(1)&gt;\\u{202E}gpj.exe\\u{1B}[2J\\u{2028}.md'
    // Once in the version's reason, once as the template's last error.
    expect(page.split(shown)).toHaveLength(3)
  })

  it("shows each version's state at the publish registry, never its password", async () => {
    const password = 'publish-password-never-shown'
    const { rt, app } = await withAdmin({
      ASSET_CACHE_OCI_PUBLISH: 'http://registry.internal:5000/ns',
      ASSET_CACHE_OCI_PUBLISH_USER: 'robot',
      ASSET_CACHE_OCI_PUBLISH_PASSWORD: password,
    })
    const v1 = await ingestTree(rt, 'seo', { 'config.yaml': 'a: 1\n' })
    const v2 = await ingestTree(rt, 'seo', { 'config.yaml': 'a: 2\n' })
    const key = rt.config.ociPublish!.target.key
    const id = (digest: string) => rt.index.versions.readyWithDigest('seo', digest)!.id
    rt.index.publish.markPublished(id(v1.digest), key, Date.now())
    rt.index.publish.markFailed(id(v2.digest), key, 'PUBLISH_DENIED', Date.now() + 60_000)
    const s = await signIn(app)
    const overview = await (await app.request('/admin', { headers: { Cookie: s.cookie } })).text()
    expect(overview).toContain('<th>Published</th>')
    expect(overview).toMatch(/class="badge publish failed"[^>]*>failed · PUBLISH_DENIED/)
    const page = await (
      await app.request('/admin/templates/seo', { headers: { Cookie: s.cookie } })
    ).text()
    expect(page).toMatch(/class="badge publish published" title="registry.internal:5000\/ns/)
    expect(page).toContain('PUBLISH_DENIED')
    for (const text of [overview, page]) expect(text).not.toContain(password)
  })

  it('sends the security headers and no secret on any page', async () => {
    const { fx, s } = await signedIn(withSeo())
    const pages: Response[] = [await fx.app.request('/admin/login')]
    for (const path of [
      '/admin',
      '/admin/templates/seo',
      '/admin/templates/nope',
      '/admin/queue',
      '/admin/store',
      '/admin/no/such/page',
    ]) {
      pages.push(await fx.app.request(path, { headers: { Cookie: s.cookie } }))
    }
    pages.push(await post(fx.app, '/admin/gc', s, { _csrf: s.csrf, dryRun: '1' }))
    pages.push(await post(fx.app, '/admin/verify', s, { _csrf: s.csrf }))
    pages.push(await post(fx.app, '/admin/gc', s, {}))
    expect(pages.map((r) => r.status)).toEqual([200, 200, 200, 404, 200, 200, 404, 200, 200, 403])
    for (const res of pages) {
      expectSecurityHeaders(res)
      expect(res.headers.get('content-type')).toMatch(/^text\/html; charset=UTF-8/i)
      const body = await res.text()
      expect(body).toMatch(/^<!DOCTYPE html>/)
      for (const secret of SECRETS) expect(body).not.toContain(secret)
    }
  })
})
