// Gitea's repository webhook API (routers/api/v1/repo/hook.go, utils/hook.go), as `hooks sync`
// uses it: list (paginated, X-Total-Count), create, edit. Every route needs a token with
// repository admin rights (Gitea answers 403 without them); listing needs read:repository and
// changing write:repository.
import { Agent, request } from 'undici'
import { z } from 'zod'
import type { Secret } from '../secret.js'
import { giteaMessage } from './errors.js'

/** A hook as the API answers it (api.Hook); Gitea never returns the secret. */
export const apiHookSchema = z.object({
  id: z.number().int(),
  type: z.string(),
  active: z.boolean(),
  events: z
    .array(z.string())
    .nullish()
    .transform((e) => e ?? []),
  branch_filter: z
    .string()
    .nullish()
    .transform((f) => f ?? ''),
  config: z
    .record(z.string(), z.string())
    .nullish()
    .transform((c) => c ?? {}),
})
export type ApiHook = z.infer<typeof apiHookSchema>

/** The body of a create or an edit (api.CreateHookOption / api.EditHookOption). */
export interface HookBody {
  type?: string
  config: { url: string; content_type: 'json'; secret?: string }
  events: string[]
  branch_filter: string
  active: boolean
}

/** A refusal or failure of one repository's hook call; `status` null for a network error. */
export class HooksApiError extends Error {
  constructor(
    readonly status: number | null,
    message: string,
  ) {
    super(message)
  }
}

/** Hooks per page: Gitea's MAX_RESPONSE_ITEMS default, the most one page may hold. */
const PAGE = 50

export class HooksApi {
  readonly #base: URL
  readonly #token: Secret
  readonly #agent = new Agent({
    connect: { timeout: 10_000 },
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
  })

  constructor(baseUrl: URL, token: Secret) {
    this.#base = baseUrl
    this.#token = token
  }

  /** Every hook of `repo`, page by page until X-Total-Count (or an empty page). */
  async list(repo: string): Promise<ApiHook[]> {
    const hooks: ApiHook[] = []
    for (let page = 1; page <= 1000; page++) {
      const { body, headers } = await this.#call('GET', repo, `?page=${page}&limit=${PAGE}`)
      const parsed = z.array(apiHookSchema).safeParse(body)
      if (!parsed.success) throw new HooksApiError(200, 'hook list: unexpected response')
      hooks.push(...parsed.data)
      const total = Number(headers['x-total-count'])
      if (parsed.data.length === 0 || (Number.isFinite(total) && hooks.length >= total)) break
    }
    return hooks
  }

  async create(repo: string, hook: HookBody): Promise<ApiHook> {
    return apiHookSchema.parse((await this.#call('POST', repo, '', hook)).body)
  }

  async edit(repo: string, id: number, hook: HookBody): Promise<ApiHook> {
    return apiHookSchema.parse((await this.#call('PATCH', repo, `/${id}`, hook)).body)
  }

  async close(): Promise<void> {
    await this.#agent.close()
  }

  async #call(method: string, repo: string, tail: string, body?: unknown) {
    const [owner, name] = repo.split('/')
    const path = `/api/v1/repos/${encodeURIComponent(owner!)}/${encodeURIComponent(name!)}/hooks${tail}`
    const url = new URL(this.#base.pathname.replace(/\/$/, '') + path, this.#base)
    let res: Awaited<ReturnType<typeof request>>
    try {
      res = await request(url, {
        method: method as 'GET',
        dispatcher: this.#agent,
        headers: {
          authorization: `token ${this.#token.reveal()}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
    } catch (err) {
      throw new HooksApiError(
        null,
        `cannot reach Gitea: ${(err as { code?: string }).code ?? 'network error'}`,
      )
    }
    const text = await res.body.text().catch(() => '')
    if (res.statusCode < 200 || res.statusCode > 299) {
      throw new HooksApiError(res.statusCode, `HTTP ${res.statusCode}${giteaMessage(text)}`)
    }
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      throw new HooksApiError(res.statusCode, 'response is not JSON')
    }
    return { body: json, headers: res.headers }
  }
}
