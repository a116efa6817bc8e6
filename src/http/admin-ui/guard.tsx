// What stands in front of every admin page: security headers, the 503 when admin is disabled,
// the same-origin check on every POST, the session, and the per-session CSRF token. SameSite=Strict
// alone is not relied on: a sibling subdomain counts as same-site.
import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import { html } from 'hono/html'
import type { Child } from 'hono/jsx'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { AppEnv } from '../env.js'
import { DisabledPage, NoticePage } from './pages/notice.js'
import { type AdminSession, csrfMatches, currentSession, isHttps } from './session.js'

export interface UiEnv extends AppEnv {
  Variables: AppEnv['Variables'] & { session: AdminSession }
}

export const SECURITY_HEADERS: Record<string, string> = {
  'Cache-Control': 'no-store',
  'Content-Security-Policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
}

/** An HTML page: doctype, then the escaped JSX. */
export function render(c: Context, page: Child, status: ContentfulStatusCode = 200) {
  return c.html(html`<!DOCTYPE html>${page}`, status)
}

export const securityHeaders = createMiddleware<AppEnv>(async (c, next) => {
  await next()
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value)
})

/** Without ASSET_CACHE_ADMIN_TOKEN every admin page is a 503 that says how to enable it. */
export const requireEnabled = createMiddleware<AppEnv>(async (c, next) => {
  if (!c.var.deps.config.adminToken) return render(c, <DisabledPage />, 503)
  return next()
})

/** The origins this request could legitimately come from: its own (as a proxy may report it). */
function ownOrigins<E extends AppEnv>(c: Context<E>): Set<string> {
  const url = new URL(c.req.url)
  const origins = new Set([url.origin])
  if (isHttps(c)) origins.add(`https://${url.host}`)
  return origins
}

function refused<E extends AppEnv>(c: Context<E>, session: AdminSession | null, text: string) {
  return render(
    c,
    <NoticePage
      title="Request refused"
      session={session}
      flash={{ kind: 'error', code: 'CSRF_REJECTED', text }}
    />,
    403,
  )
}

/** On a POST, an Origin (else Referer) header, when present, must name this very origin. */
export const sameOriginPosts = createMiddleware<AppEnv>(async (c, next) => {
  if (c.req.method !== 'POST') return next()
  const own = ownOrigins(c)
  const origin = c.req.header('origin')
  let from: string | null = null
  if (origin !== undefined) from = origin
  else {
    const referer = c.req.header('referer')
    if (referer !== undefined) from = URL.canParse(referer) ? new URL(referer).origin : 'invalid'
  }
  if (from !== null && !own.has(from)) {
    return refused(c, currentSession(c), 'This form was not sent from this admin UI.')
  }
  return next()
})

/** Signed in, or a 303 to the sign-in page. */
export const requireSession = createMiddleware<UiEnv>(async (c, next) => {
  const session = currentSession(c)
  if (!session) return c.redirect('/admin/login', 303)
  c.set('session', session)
  return next()
})

/** Every state-changing POST carries the session's CSRF token in `_csrf`. */
export const requireCsrf = createMiddleware<UiEnv>(async (c, next) => {
  if (c.req.method !== 'POST') return next()
  const body = await c.req.parseBody()
  if (!csrfMatches(c.var.session, body._csrf)) {
    return refused(
      c,
      c.var.session,
      'The form is missing its security token or it has expired. Reload the page and try again.',
    )
  }
  return next()
})
