// `/admin`: the admin UI, server-rendered, plain forms, no script. Reads go through the same read
// models as /v1/admin (admin/views.ts), actions through the same functions (admin/actions.ts);
// an action redirects back with a fixed flash key (POST → 303 → GET), or shows its report.
import { type Context, Hono } from 'hono'
import {
  collectGarbageNow,
  pinTemplate,
  refreshTemplate,
  unpinTemplate,
  verifyStoreNow,
} from '../admin/actions.js'
import { listTemplates, queueView, storeView, templateDetail } from '../admin/views.js'
import type { AppDeps } from '../app.js'
import { lostConnectionAnswer } from '../connection-lost.js'
import { ApiError } from '../http-errors.js'
import { adminDeps } from '../routes/admin.js'
import { adminAttempts, checkAdminToken, clientAddress } from '../routes/admin-attempts.js'
import { bodyWithin } from '../routes/body.js'
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
import { StorePage } from './pages/store.js'
import { TemplatePage } from './pages/template.js'
import { currentSession, endSession, startSession } from './session.js'

/** Flash messages by key: the query string selects one, it never supplies text. */
const DONE: Record<string, string> = {
  pinned: 'Pinned. Provisioners now get this version until it is unpinned.',
  unpinned: 'Unpinned. Provisioners get the current version again.',
  'refresh-queued': 'Refresh queued.',
  'refresh-coalesced': 'A refresh was already queued; this request joined it.',
}

const FORM_MAX_BYTES = 16 * 1024

const nowOf = (deps: AppDeps) => (deps.now ?? Date.now)()
const templatePath = (name: string) => `/admin/templates/${encodeURIComponent(name)}`

function doneFlash(key: string | undefined): Flash | null {
  const text = key ? DONE[key] : undefined
  return text ? { kind: 'ok', text } : null
}

function errorFlash(err: ApiError): Flash {
  return { kind: 'error', code: err.code, text: err.message }
}

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
    adminAttempts(c.var.deps),
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

adminUiRoutes.get('/', (c) => {
  const deps = c.var.deps
  return render(
    c,
    <OverviewPage
      session={c.var.session}
      templates={listTemplates(deps)}
      store={storeView(deps)}
      depth={deps.index.jobs.depth()}
      now={nowOf(deps)}
      flash={doneFlash(c.req.query('done'))}
    />,
  )
})

/** The template page, with a flash; 404 page when there is no such template. */
function templatePage(
  c: Context<UiEnv>,
  name: string,
  flash: Flash | null,
  status: 200 | 400 | 404 | 409 = 200,
) {
  const deps = c.var.deps
  const detail = templateDetail(deps, name)
  if (!detail) {
    return render(
      c,
      <NoticePage
        title="No such template"
        session={c.var.session}
        flash={{
          kind: 'error',
          code: 'UNKNOWN_TEMPLATE',
          text: `No template named ${JSON.stringify(name)}.`,
        }}
      />,
      404,
    )
  }
  return render(
    c,
    <TemplatePage session={c.var.session} detail={detail} now={nowOf(deps)} flash={flash} />,
    status,
  )
}

adminUiRoutes.get('/templates/:name', (c) =>
  templatePage(c, c.req.param('name'), doneFlash(c.req.query('done'))),
)

/** Runs a template action; on an ApiError shows the template page with the code and message. */
async function templateAction(
  c: Context<UiEnv>,
  run: (name: string, form: Record<string, unknown>) => string,
) {
  const name = c.req.param('name') ?? ''
  const form = (await c.req.parseBody()) as Record<string, unknown>
  try {
    const done = run(name, form)
    return c.redirect(`${templatePath(name)}?done=${done}`, 303)
  } catch (err) {
    if (!(err instanceof ApiError)) throw err
    const status = err.status === 400 || err.status === 404 || err.status === 409 ? err.status : 409
    return templatePage(c, name, errorFlash(err), status)
  }
}

adminUiRoutes.post('/templates/:name/refresh', (c) =>
  templateAction(c, (name, form) => {
    const { created } = refreshTemplate(
      adminDeps(c.var.deps, c.var.metrics),
      name,
      form.force === '1',
    )
    return created ? 'refresh-queued' : 'refresh-coalesced'
  }),
)

adminUiRoutes.post('/templates/:name/pin', (c) =>
  templateAction(c, (name, form) => {
    const digest = typeof form.digest === 'string' ? form.digest : ''
    pinTemplate(adminDeps(c.var.deps, c.var.metrics), name, digest)
    return 'pinned'
  }),
)

adminUiRoutes.post('/templates/:name/unpin', (c) =>
  templateAction(c, (name) => {
    unpinTemplate(adminDeps(c.var.deps, c.var.metrics), name)
    return 'unpinned'
  }),
)

adminUiRoutes.get('/queue', (c) => {
  const deps = c.var.deps
  return render(
    c,
    <QueuePage
      session={c.var.session}
      queue={queueView(deps)}
      deliveries={deps.index.deliveries.list(50)}
      now={nowOf(deps)}
      flash={null}
    />,
  )
})

adminUiRoutes.get('/store', (c) => {
  const deps = c.var.deps
  return render(
    c,
    <StorePage session={c.var.session} store={storeView(deps)} now={nowOf(deps)} flash={null} />,
  )
})

adminUiRoutes.post('/gc', async (c) => {
  const deps = c.var.deps
  const form = await c.req.parseBody()
  const dryRun = form.dryRun === '1'
  const report = await collectGarbageNow(adminDeps(deps, c.var.metrics), { dryRun })
  const text = dryRun
    ? `Dry run: GC would free ${report.removed.length} bundle(s); nothing was removed.`
    : `GC removed ${report.removed.length} bundle(s).`
  return render(
    c,
    <StorePage
      session={c.var.session}
      store={storeView(deps)}
      now={nowOf(deps)}
      flash={{ kind: 'ok', text }}
      result={{ kind: 'gc', report }}
    />,
  )
})

adminUiRoutes.post('/verify', async (c) => {
  const deps = c.var.deps
  const report = await verifyStoreNow(adminDeps(deps, c.var.metrics))
  const bad = report.corrupt.length
  const flash: Flash = bad
    ? {
        kind: 'error',
        code: 'EINTEGRITY',
        text: `${bad} blob(s) corrupt or missing; quarantined and refresh queued.`,
      }
    : { kind: 'ok', text: `All ${report.checked} blob(s) verified.` }
  return render(
    c,
    <StorePage
      session={c.var.session}
      store={storeView(deps)}
      now={nowOf(deps)}
      flash={flash}
      result={{ kind: 'verify', report }}
    />,
  )
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
  if (err instanceof ApiError) {
    for (const [name, value] of Object.entries(err.headers)) c.header(name, value)
    return render(
      c,
      <NoticePage title="Request failed" session={session} flash={errorFlash(err)} />,
      err.status,
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
