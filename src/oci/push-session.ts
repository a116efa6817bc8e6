// Talking to an OCI registry to push (OCI Distribution Spec v1.1, push category): each request
// authenticates the way the registry asks — a 401 with `WWW-Authenticate: Bearer realm, service,
// scope` is answered by the Docker token flow (GET realm?service&scope with the credentials as
// Basic, then `Authorization: Bearer`), a Basic challenge by Basic credentials — and is retried
// a bounded number of times with exponential backoff and jitter on network errors, timeouts, 5xx
// and 429. Credentials go only to the registry's own origin and to the realm it names (never from
// https to a plain-http realm), and never into a message: errors name the origin, method, path
// and status, plus the registry's error code when it is a plain UPPER_SNAKE word. A streamed body
// that fails on our side (the stored bundle is missing or corrupt) is no network error: its own
// error is thrown at once, without a retry.
import type { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { type Dispatcher, request } from 'undici'
import { AppError } from '../errors.js'
import type { Secret } from '../secret.js'
import { type Challenge, parseChallenges } from './challenge.js'

export type PushErrorCode =
  | 'PUBLISH_UNREACHABLE'
  | 'PUBLISH_UNAUTHORIZED'
  | 'PUBLISH_DENIED'
  | 'PUBLISH_REFUSED'
  | 'PUBLISH_BAD_RESPONSE'

export class PushError extends AppError {
  declare readonly code: PushErrorCode
  constructor(code: PushErrorCode, message: string, status?: number) {
    super(code, message, status === undefined ? {} : { status })
  }
}

export interface PushSessionOptions {
  credentials: { user: string; password: Secret } | null
  /** Tries per request (the first included). */
  attempts?: number
  /** First backoff; each retry doubles it, with jitter. */
  backoffMs?: number
  headersTimeoutMs?: number
  bodyTimeoutMs?: number
  dispatcher?: Dispatcher
  signal?: AbortSignal
}

/** A request body: bytes, or a stream opened afresh for every try. */
export type PushBody = Buffer | (() => Readable)

export interface PushRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT'
  /** A path on the registry (`/v2/…`), or an absolute URL it handed out (an upload location). */
  target: string
  /** `repository:<name>:<actions>` scopes a token must cover. */
  scopes: string[]
  headers?: Record<string, string>
  body?: PushBody
  /** Keep the answer's body, up to this many bytes (a longer one is PUBLISH_BAD_RESPONSE). */
  read?: number
}

export interface PushResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  url: URL
  /** The body, when the request asked to read it. */
  body?: Buffer
}

const TOKEN_BODY_MAX = 64 * 1024
const ERROR_BODY_MAX = 16 * 1024
const RETRY_AFTER_MAX_MS = 30_000

export class PushSession {
  readonly origin: URL
  readonly #options: PushSessionOptions
  /** Authorization per scope set that worked (or was asked for). */
  readonly #authorization = new Map<string, string>()

  constructor(origin: URL, options: PushSessionOptions) {
    this.origin = origin
    this.#options = options
  }

  /** Sends `req`, authenticating and retrying as needed; the answer's body is read or dropped. */
  async send(req: PushRequest): Promise<PushResponse> {
    const url = new URL(req.target, this.origin)
    const where = `${this.origin.origin}: ${req.method} ${url.pathname}`
    const attempts = this.#options.attempts ?? 3
    const key = req.scopes.join(' ')
    let authenticated = false
    for (let attempt = 1; ; attempt++) {
      let res: Dispatcher.ResponseData
      const source: SourceFailure = { err: null }
      try {
        res = await this.#request(url, req, this.#authorization.get(key), source)
      } catch (err) {
        if (source.err !== null) throw source.err
        if (this.#options.signal?.aborted) throw err
        if (attempt >= attempts) {
          throw new PushError('PUBLISH_UNREACHABLE', `${where}: ${networkReason(err)}`)
        }
        await this.#backoff(attempt)
        continue
      }
      const status = res.statusCode
      if (status === 401 && !authenticated && url.origin === this.origin.origin) {
        await res.body.dump()
        authenticated = true
        this.#authorization.set(key, await this.#answer(challengesOf(res.headers), req.scopes))
        attempt--
        continue
      }
      if ((status >= 500 || status === 429) && attempt < attempts) {
        await res.body.dump()
        await this.#backoff(attempt, res.headers['retry-after'])
        continue
      }
      if (status >= 400) throw await refusal(where, status, res)
      if (req.read === undefined) {
        await res.body.dump()
        return { status, headers: res.headers, url }
      }
      // A body that breaks off after the headers is the registry's network, as a refused connect is.
      const body = await boundedBytes(res, req.read).catch((err: unknown) => {
        if (err instanceof PushError || this.#options.signal?.aborted) throw err
        throw new PushError('PUBLISH_UNREACHABLE', `${where}: ${networkReason(err)}`)
      })
      if (body === null) {
        throw new PushError('PUBLISH_BAD_RESPONSE', `${where}: an answer over ${req.read} bytes`)
      }
      return { status, headers: res.headers, url, body }
    }
  }

  #request(url: URL, req: PushRequest, authorization: string | undefined, source: SourceFailure) {
    const headers: Record<string, string> = { ...req.headers }
    // Credentials stay on the registry's own origin (an upload location may point elsewhere).
    if (authorization && url.origin === this.origin.origin) headers.authorization = authorization
    const body = typeof req.body === 'function' ? openSource(req.body, source) : req.body
    return request(url, {
      method: req.method,
      headers,
      ...(body === undefined ? {} : { body }),
      headersTimeout: this.#options.headersTimeoutMs ?? 30_000,
      bodyTimeout: this.#options.bodyTimeoutMs ?? 60_000,
      signal: this.#options.signal,
      ...(this.#options.dispatcher ? { dispatcher: this.#options.dispatcher } : {}),
    })
  }

  async #backoff(attempt: number, retryAfter?: string | string[]): Promise<void> {
    const base = this.#options.backoffMs ?? 250
    const told = typeof retryAfter === 'string' ? Number(retryAfter) * 1000 : Number.NaN
    const wait =
      Number.isFinite(told) && told >= 0
        ? Math.min(told, RETRY_AFTER_MAX_MS)
        : base * 2 ** (attempt - 1) * (0.5 + Math.random())
    await sleep(wait, undefined, { signal: this.#options.signal })
  }

  #basic(): string | null {
    const creds = this.#options.credentials
    if (!creds) return null
    const pair = `${creds.user}:${creds.password.reveal()}`
    return `Basic ${Buffer.from(pair).toString('base64')}`
  }

  /** The Authorization to send after a 401 with `challenges`. */
  async #answer(challenges: Challenge[], scopes: string[]): Promise<string> {
    const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.realm)
    if (bearer) return `Bearer ${await this.#token(bearer, scopes)}`
    const basic = this.#basic()
    if (basic && challenges.some((c) => c.scheme === 'basic')) return basic
    throw new PushError(
      'PUBLISH_UNAUTHORIZED',
      `${this.origin.origin} asks for credentials${basic ? ' in a scheme not offered here' : ': set ASSET_CACHE_OCI_PUBLISH_USER and ASSET_CACHE_OCI_PUBLISH_PASSWORD'}`,
      401,
    )
  }

  /** The Docker registry token flow: GET realm?service&scope…, Basic credentials when we have them. */
  async #token(challenge: Challenge, scopes: string[]): Promise<string> {
    const origin = this.origin.origin
    let realm: URL
    try {
      realm = new URL(challenge.params.realm!)
    } catch {
      throw new PushError('PUBLISH_BAD_RESPONSE', `${origin}: the token realm is not a URL`)
    }
    if (realm.protocol !== 'https:' && realm.protocol !== 'http:') {
      throw new PushError('PUBLISH_BAD_RESPONSE', `${origin}: the token realm is not http(s)`)
    }
    if (this.origin.protocol === 'https:' && realm.protocol !== 'https:') {
      throw new PushError('PUBLISH_BAD_RESPONSE', `${origin}: the token realm is not https`)
    }
    if (challenge.params.service) realm.searchParams.set('service', challenge.params.service)
    for (const scope of scopes) realm.searchParams.append('scope', scope)
    const basic = this.#basic()
    const where = `${origin}: token from ${realm.origin}${realm.pathname}`
    let res: Dispatcher.ResponseData
    try {
      res = await request(realm, {
        method: 'GET',
        headers: basic ? { authorization: basic } : {},
        headersTimeout: this.#options.headersTimeoutMs ?? 30_000,
        bodyTimeout: this.#options.bodyTimeoutMs ?? 60_000,
        signal: this.#options.signal,
        ...(this.#options.dispatcher ? { dispatcher: this.#options.dispatcher } : {}),
      })
    } catch (err) {
      throw new PushError('PUBLISH_UNREACHABLE', `${where}: ${networkReason(err)}`)
    }
    if (res.statusCode !== 200) {
      await res.body.dump()
      const code = res.statusCode === 401 ? 'PUBLISH_UNAUTHORIZED' : 'PUBLISH_DENIED'
      throw new PushError(code, `${where}: refused (${res.statusCode})`, res.statusCode)
    }
    const text = await boundedText(res, TOKEN_BODY_MAX)
    let body: { token?: unknown; access_token?: unknown } = {}
    try {
      body = text === null ? {} : JSON.parse(text)
    } catch {}
    const token = typeof body?.token === 'string' ? body.token : body?.access_token
    if (typeof token !== 'string' || !/^[\x21-\x7e]{1,8192}$/.test(token)) {
      throw new PushError('PUBLISH_BAD_RESPONSE', `${where}: the answer holds no usable token`)
    }
    return token
  }
}

function challengesOf(headers: Record<string, string | string[] | undefined>): Challenge[] {
  const values = headers['www-authenticate']
  return (Array.isArray(values) ? values : values ? [values] : []).flatMap(parseChallenges)
}

/** A body's text up to `max` bytes, or null past it. */
async function boundedText(res: Dispatcher.ResponseData, max: number): Promise<string | null> {
  return (await boundedBytes(res, max))?.toString('utf8') ?? null
}

/** A body up to `max` bytes, or null past it. */
async function boundedBytes(res: Dispatcher.ResponseData, max: number): Promise<Buffer | null> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > max) {
      res.body.destroy()
      return null
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

/** A 4xx/5xx as a PushError: the registry's own error code is kept when it is a plain word. */
async function refusal(where: string, status: number, res: Dispatcher.ResponseData) {
  const text = await boundedText(res, ERROR_BODY_MAX).catch(() => null)
  let code: string | null = null
  try {
    const first = (JSON.parse(text ?? '') as { errors?: { code?: unknown }[] }).errors?.[0]?.code
    if (typeof first === 'string' && /^[A-Z][A-Z_]{0,63}$/.test(first)) code = first
  } catch {}
  const detail = `${where} answered ${status}${code ? ` ${code}` : ''}`
  if (status === 401) return new PushError('PUBLISH_UNAUTHORIZED', detail, status)
  if (status === 403) return new PushError('PUBLISH_DENIED', detail, status)
  if (status >= 500 || status === 429) return new PushError('PUBLISH_UNREACHABLE', detail, status)
  return new PushError('PUBLISH_REFUSED', detail, status)
}

/** The error of a streamed body's own source, when it failed (null: it did not). */
interface SourceFailure {
  err: unknown
}

/** Opens a streamed body, keeping in `failure` any error of the stream itself. */
function openSource(open: () => Readable, failure: SourceFailure): Readable {
  let stream: Readable
  try {
    stream = open()
  } catch (err) {
    failure.err = err
    throw err
  }
  stream.on('error', (err) => {
    failure.err ??= err
  })
  return stream
}

/** A transport failure in words that carry no URL query and no credential. */
function networkReason(err: unknown): string {
  const e = err as (Error & { code?: string; cause?: { code?: string } }) | null
  const code = e?.code ?? e?.cause?.code
  return typeof code === 'string' && /^[A-Z_]{1,40}$/.test(code) ? code : 'network error'
}
