// Small HTTP helpers over undici for driving and observing the server under test.
import { request } from 'undici'
import { until } from '../../test/support/wait.js'

export interface TemplateView {
  commit: string | null
  digest: string
  size: number
  fileCount: number
}

/** GET /v1/templates/{name}: the current view, or null while nothing is ready (503). */
export async function templateView(
  server: string,
  name: string,
  token: string,
): Promise<TemplateView | null> {
  const res = await request(`${server}/v1/templates/${name}`, {
    headers: { authorization: `Bearer ${token}` },
  })
  if (res.statusCode === 503) {
    await res.body.dump()
    return null
  }
  if (res.statusCode !== 200) {
    throw new Error(`GET /v1/templates/${name}: ${res.statusCode} ${await res.body.text()}`)
  }
  return (await res.body.json()) as TemplateView
}

/** Waits until template `name` is ready at `commit` (or at anything, when commit is omitted). */
export function readyAt(
  server: string,
  name: string,
  token: string,
  commit?: string,
  timeoutMs = 120_000,
  everyMs = 20,
): Promise<TemplateView> {
  return until(
    async () => {
      const view = await templateView(server, name, token)
      if (!view) return undefined
      return commit === undefined || view.commit === commit ? view : undefined
    },
    {
      what: `template ${name} ready${commit ? ` at ${commit.slice(0, 12)}` : ''}`,
      timeoutMs,
      everyMs,
    },
  )
}

export async function getBytes(url: string, token: string): Promise<Buffer> {
  const res = await request(url, { headers: { authorization: `Bearer ${token}` } })
  const body = Buffer.from(await res.body.arrayBuffer())
  if (res.statusCode !== 200) throw new Error(`GET ${url}: ${res.statusCode}`)
  return body
}
