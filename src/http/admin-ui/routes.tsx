// `/admin`: the admin UI, server-rendered, plain forms, no script. Reads go through the same read
// models as /v1/admin (admin/views.ts), actions through the same functions (admin/actions.ts);
// an action redirects back with a fixed flash key (POST → 303 → GET), or shows its report.
import { type Context, Hono } from 'hono'
import { collectGarbageNow, verifyStoreNow } from '../../admin/actions.js'
import { queueView, storeView } from '../../admin/service-views.js'
import { listTemplates } from '../../admin/views.js'
import { adminDeps } from '../deps.js'
import { ApiError, httpStatus, shownError } from '../errors.js'
import { checkAdminToken, clientAddress } from '../middleware/admin-attempts.js'
import { bodyWithin } from '../middleware/body.js'
import { lostConnectionAnswer } from '../middleware/connection-lost.js'
import { doneFlash, errorFlash } from './flash.js'
import {
  render,
  requireCsrf,
  requireEnabled,
  requireSession,
  sameOriginPosts,
  securityHeaders,
  type UiEnv,
} from './guard.js'
import type { Flash } from './layout.js'
import { LoginPage, NoticePage } from './pages/notice.js'
import { OverviewPage } from './pages/overview.js'
import { QueuePage } from './pages/queue.js'
import { StorePage, type StoreReport } from './pages/store.js'
import { currentSession, endSession, startSession } from './session.js'
import { templateUiRoutes } from './template-routes.js'

const FORM_MAX_BYTES = 16 * 1024

export const adminUiRoutes = new Hono<UiEnv>()

adminUiRoutes.use(securityHeaders)
adminUiRoutes.use(requireEnabled)
// Forms, sign-in included, are read whole here: at most FORM_MAX_BYTES, within
// ASSET_CACHE_BODY_TIMEOUT (408 past it).
adminUiRoutes.use(
  bodyWithin<UiEnv>(FORM_MAX_BYTES, (c) =>
    render(
      c,
      <NoticePage
        title="Form too large"
        session={null}
        flash={{ kind: 'error', code: 'PAYLOAD_TOO_LARGE', text: 'The form was too large.' }}
      />,
      413,
    ),
  ),
)
adminUiRoutes.use(sameOriginPosts)

adminUiRoutes.get('/login', (c) => {
  if (currentSession(c)) return c.redirect('/admin', 303)
  return render(c, <LoginPage />)
})

adminUiRoutes.post('/login', async (c) => {
  const body = await c.req.parseBody()
  const token = typeof body.token === 'string' ? body.token : ''
  // requireEnabled ran first: the token is configured. Checked after the body is read, in one
  // step with the lock and the count (a sign-in racing others cannot slip past the limit).
  const check = checkAdminToken(
    c.var.deps.state.adminAttempts,
    clientAddress(c),
    c.var.deps.config.adminToken!,
    token,
  )
  if (!check.ok && check.lockedForMs > 0) {
    const seconds = Math.ceil(check.lockedForMs / 1000)
    c.header('Retry-After', String(seconds))
    const error = `Too many wrong tokens from this address. Try again in ${seconds} s.`
    return render(c, <LoginPage error={error} />, 429)
  }
  if (!check.ok) {
    c.var.deps.logger.warn({ requestId: c.var.requestId }, 'admin sign-in with a wrong token')
    return render(c, <LoginPage error="That token is not valid." />, 401)
  }
  startSession(c)
  return c.redirect('/admin', 303)
})

adminUiRoutes.use(requireSession)
adminUiRoutes.use(requireCsrf)

adminUiRoutes.post('/logout', (c) => {
  endSession(c, c.var.session)
  return c.redirect('/admin/login', 303)
})

/** What every page is given: who is signed in, and the clock its ages count from. */
const basics = (c: Context<UiEnv>) => ({ session: c.var.session, now: c.var.deps.now() })

/** The store page, with the flash and report of the action that just ran, if any. */
function storePage(c: Context<UiEnv>, flash: Flash | null, result: StoreReport | null = null) {
  return render(
    c,
    <StorePage {...basics(c)} store={storeView(c.var.deps)} flash={flash} result={result} />,
  )
}

adminUiRoutes.get('/', (c) => {
  const deps = c.var.deps
  return render(
    c,
    <OverviewPage
      {...basics(c)}
      templates={listTemplates(deps)}
      store={storeView(deps)}
      depth={deps.index.jobs.depth()}
      flash={doneFlash(c.req.query('done'))}
    />,
  )
})

adminUiRoutes.route('/templates', templateUiRoutes)

adminUiRoutes.get('/queue', (c) => {
  const deps = c.var.deps
  const deliveries = deps.index.deliveries.list(50)
  return render(
    c,
    <QueuePage {...basics(c)} queue={queueView(deps)} deliveries={deliveries} flash={null} />,
  )
})

adminUiRoutes.get('/store', (c) => storePage(c, null))

adminUiRoutes.post('/gc', async (c) => {
  const form = await c.req.parseBody()
  const dryRun = form.dryRun === '1'
  const report = await collectGarbageNow(adminDeps(c.var.deps), { dryRun })
  const text = dryRun
    ? `Dry run: GC would free ${report.removed.length} bundle(s); nothing was removed.`
    : `GC removed ${report.removed.length} bundle(s).`
  return storePage(c, { kind: 'ok', text }, { kind: 'gc', report })
})

adminUiRoutes.post('/verify', async (c) => {
  const report = await verifyStoreNow(adminDeps(c.var.deps))
  const bad = report.corrupt.length
  const flash: Flash = bad
    ? {
        kind: 'error',
        code: 'EINTEGRITY',
        text: `${bad} blob(s) corrupt or missing; quarantined and refresh queued.`,
      }
    : { kind: 'ok', text: `All ${report.checked} blob(s) verified.` }
  return storePage(c, flash, { kind: 'verify', report })
})

adminUiRoutes.all('*', (c) => {
  if (c.req.method === 'GET' && c.req.path === '/admin/') return c.redirect('/admin', 303)
  return render(
    c,
    <NoticePage
      title="Not found"
      session={c.var.session}
      flash={{ kind: 'error', code: 'NOT_FOUND', text: 'There is no admin page here.' }}
    />,
    404,
  )
})

adminUiRoutes.onError((err, c) => {
  const lost = lostConnectionAnswer(c, err)
  if (lost) return lost
  const session = currentSession(c)
  const shown = shownError(err)
  if (shown) {
    if (shown instanceof ApiError)
      for (const [name, value] of Object.entries(shown.headers)) c.header(name, value)
    return render(
      c,
      <NoticePage title="Request failed" session={session} flash={errorFlash(shown)} />,
      httpStatus(shown.code),
    )
  }
  c.var.deps.logger.error({ requestId: c.var.requestId, err }, 'admin ui request failed')
  return render(
    c,
    <NoticePage
      title="Something went wrong"
      session={session}
      flash={{
        kind: 'error',
        code: 'INTERNAL',
        text: `The request could not be completed (request id ${c.var.requestId}).`,
      }}
    />,
    500,
  )
})
