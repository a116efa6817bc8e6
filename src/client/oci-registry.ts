// Talking to any OCI registry for one repository: GETs that authenticate the way registries ask
// (WWW-Authenticate: the Bearer token flow — realm, service, scope — or Basic), follow blob
// redirects to storage without carrying credentials to another origin, and read small bodies
// with a bound. Transport failures and refusals are ClientErrors with the client's codes.
import { type Dispatcher, request } from 'undici'
import { type Challenge, parseChallenges } from '../oci/challenge.js'
import { ClientError } from './errors.js'
import { readCapped, transportError } from './http.js'

export interface RegistryOptions {
  /** Read token (or registry password); sent as Basic password, or to the token realm. */
  token?: string | undefined
  /** User name for Basic (default `asset-cache`: the cache accepts any). */
  user?: string | undefined
  headersTimeoutMs?: number
  bodyTimeoutMs?: number
  signal?: AbortSignal | undefined
  dispatcher?: Dispatcher
}

export type RegistryResponse = Dispatcher.ResponseData & { url: URL }

const MAX_REDIRECTS = 5
const TOKEN_BODY_MAX = 64 * 1024

/** Reads a body up to `max` bytes; a longer one is BAD_RESPONSE. */
export async function boundedBody(res: RegistryResponse, max: number): Promise<Buffer> {
  const bytes = await readCapped(res, max)
  if (!bytes) throw new ClientError('BAD_RESPONSE', `${res.url.href}: body over ${max} bytes`)
  return bytes
}

export class RegistrySession {
  readonly origin: URL
  readonly repository: string
  readonly #options: RegistryOptions
  /** The Authorization value that worked (or was asked for) on this origin. */
  #authorization: string | undefined

  constructor(origin: URL, repository: string, options: RegistryOptions) {
    this.origin = origin
    this.repository = repository
    this.#options = options
  }

  async #send(url: URL, headers: Record<string, string>): Promise<RegistryResponse> {
    try {
      const res = await request(url, {
        method: 'GET',
        headers,
        headersTimeout: this.#options.headersTimeoutMs ?? 30_000,
        bodyTimeout: this.#options.bodyTimeoutMs ?? 30_000,
        signal: this.#options.signal,
        ...(this.#options.dispatcher ? { dispatcher: this.#options.dispatcher } : {}),
      })
      return Object.assign(res, { url })
    } catch (err) {
      throw transportError(err, url)
    }
  }

  #basic(): string | null {
    const { token, user } = this.#options
    if (!token) return null
    return `Basic ${Buffer.from(`${user ?? 'asset-cache'}:${token}`).toString('base64')}`
  }

  /** The Authorization to retry with after a 401 carrying `challenges`, or null when none fits. */
  async #answer(challenges: Challenge[]): Promise<string | null> {
    const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.realm)
    if (bearer) return `Bearer ${await this.#bearerToken(bearer)}`
    if (challenges.some((c) => c.scheme === 'basic')) return this.#basic()
    return null
  }

  /** The Docker registry token flow: GET realm?service&scope, with Basic credentials when we have them. */
  async #bearerToken(challenge: Challenge): Promise<string> {
    let realm: URL
    try {
      realm = new URL(challenge.params.realm!)
    } catch {
      throw new ClientError('BAD_RESPONSE', `${this.origin.origin}: token realm is not a URL`)
    }
    if (realm.protocol !== 'https:' && realm.protocol !== 'http:') {
      throw new ClientError('BAD_RESPONSE', `${this.origin.origin}: token realm must be http(s)`)
    }
    // Never send the token in clear text to a realm when the registry itself is on TLS.
    if (this.origin.protocol === 'https:' && realm.protocol !== 'https:') {
      throw new ClientError('BAD_RESPONSE', `${this.origin.origin}: token realm is not https`)
    }
    if (challenge.params.service) realm.searchParams.set('service', challenge.params.service)
    realm.searchParams.set('scope', `repository:${this.repository}:pull`)
    const basic = this.#basic()
    const res = await this.#send(realm, basic ? { authorization: basic } : {})
    if (res.statusCode !== 200) {
      await res.body.dump()
      throw new ClientError('UNAUTHORIZED', `${realm.origin} refused a token: ${res.statusCode}`, {
        status: res.statusCode,
      })
    }
    let body: { token?: unknown; access_token?: unknown }
    try {
      body = JSON.parse((await boundedBody(res, TOKEN_BODY_MAX)).toString('utf8'))
    } catch (err) {
      if (err instanceof ClientError) throw err
      throw new ClientError('BAD_RESPONSE', `${realm.origin}: token answer is not JSON`)
    }
    const token = typeof body.token === 'string' ? body.token : body.access_token
    if (typeof token !== 'string' || !/^[\x21-\x7e]{1,8192}$/.test(token)) {
      throw new ClientError('BAD_RESPONSE', `${realm.origin}: token answer has no usable token`)
    }
    return token
  }

  /**
   * GET `path` on the registry (`/v2/<repository>/…`). A 401 is answered once by its challenge;
   * redirects (blob storage) are followed, without Authorization once the origin changes.
   */
  async get(path: string, accept?: string): Promise<RegistryResponse> {
    let url = new URL(path, this.origin)
    const headers: Record<string, string> = accept ? { accept } : {}
    let res = await this.#send(url, this.#with(headers, url))
    if (res.statusCode === 401 && url.origin === this.origin.origin) {
      const values = res.headers['www-authenticate']
      await res.body.dump()
      const list = (Array.isArray(values) ? values : values ? [values] : []).flatMap(
        parseChallenges,
      )
      const authorization = await this.#answer(list)
      if (authorization === null) {
        throw new ClientError(
          'UNAUTHORIZED',
          `${this.origin.origin} asks for credentials${this.#options.token ? ' it did not take' : ': pass --token'}`,
          { status: 401 },
        )
      }
      this.#authorization = authorization
      res = await this.#send(url, this.#with(headers, url))
    }
    for (let hops = 0; res.statusCode >= 300 && res.statusCode < 400; hops++) {
      const location = res.headers.location
      await res.body.dump()
      if (typeof location !== 'string' || hops >= MAX_REDIRECTS) {
        throw new ClientError('BAD_RESPONSE', `${url.href}: redirect without a usable Location`)
      }
      const next = new URL(location, url)
      if (next.protocol !== 'https:' && next.protocol !== 'http:') {
        throw new ClientError('BAD_RESPONSE', `${url.href}: redirect to ${next.protocol}`)
      }
      if (url.protocol === 'https:' && next.protocol !== 'https:') {
        throw new ClientError('BAD_RESPONSE', `${url.href}: redirect from https to http`)
      }
      url = next
      res = await this.#send(url, this.#with(headers, url))
    }
    return res
  }

  /** `headers` plus our Authorization, only for the registry's own origin. */
  #with(headers: Record<string, string>, url: URL): Record<string, string> {
    if (url.origin !== this.origin.origin) return headers
    const authorization = this.#authorization
    return authorization ? { ...headers, authorization } : headers
  }
}
