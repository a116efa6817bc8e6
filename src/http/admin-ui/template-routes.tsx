// `/admin/templates/:name`: the template page and its actions (refresh, pin, unpin, forget). Mounted
// by routes.tsx after the session and CSRF checks.
import { type Context, Hono } from 'hono'
import { forgetTemplate, pinTemplate, refreshTemplate, unpinTemplate } from '../../admin/actions.js'
import { templateDetail } from '../../admin/views.js'
import { adminDeps } from '../deps.js'
import { httpStatus, shownError } from '../errors.js'
import { doneFlash, errorFlash } from './flash.js'
import { render, type UiEnv } from './guard.js'
import type { Flash } from './layout.js'
import { NoticePage } from './pages/notice.js'
import { TemplatePage } from './pages/template.js'

const templatePath = (name: string) => `/admin/templates/${encodeURIComponent(name)}`

export const templateUiRoutes = new Hono<UiEnv>()

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
    <TemplatePage session={c.var.session} detail={detail} now={deps.now()} flash={flash} />,
    status,
  )
}

templateUiRoutes.get('/:name', (c) =>
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
    const shown = shownError(err)
    if (!shown) throw err
    const code = httpStatus(shown.code)
    const status = code === 400 || code === 404 || code === 409 ? code : 409
    return templatePage(c, name, errorFlash(shown), status)
  }
}

templateUiRoutes.post('/:name/refresh', (c) =>
  templateAction(c, (name, form) => {
    const { created } = refreshTemplate(adminDeps(c.var.deps), name, form.force === '1')
    return created ? 'refresh-queued' : 'refresh-coalesced'
  }),
)

templateUiRoutes.post('/:name/pin', (c) =>
  templateAction(c, (name, form) => {
    const digest = typeof form.digest === 'string' ? form.digest : ''
    pinTemplate(adminDeps(c.var.deps), name, digest)
    return 'pinned'
  }),
)

templateUiRoutes.post('/:name/unpin', (c) =>
  templateAction(c, (name) => {
    unpinTemplate(adminDeps(c.var.deps), name)
    return 'unpinned'
  }),
)

templateUiRoutes.post('/:name/forget', (c) => {
  const name = c.req.param('name')
  try {
    forgetTemplate(c.var.deps, name)
  } catch (err) {
    const shown = shownError(err)
    if (!shown) throw err
    return templatePage(c, name, errorFlash(shown), httpStatus(shown.code) === 404 ? 404 : 409)
  }
  return c.redirect('/admin?done=forgotten', 303)
})
