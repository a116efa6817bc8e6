import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { parseReadTokens } from '../../src/config.js'
import { matchReadToken } from '../../src/http/middleware/read-auth.js'
import { createLogger } from '../../src/log.js'
import { runtimeApp } from '../support/app.js'
import { errorCode, type Fixture, fixture, ingestTree } from './read-fixture.js'

const hex = (s: string) => createHash('sha256').update(s).digest('hex')

let f: Fixture
afterEach(() => f.rt.close())

async function setup(tokens?: string) {
  f = await fixture(tokens === undefined ? {} : { ASSET_CACHE_READ_TOKENS: tokens })
  const seo = await ingestTree(f.rt, 'seo', { 'config.yaml': 'name: seo\n' })
  const docs = await ingestTree(f.rt, 'docs', { 'config.yaml': 'name: docs\n' })
  return { seo, docs }
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
const bearer_ = (token: string) => ({ headers: bearer(token) })

describe('no tokens configured', () => {
  it('reads are anonymous', async () => {
    const { seo } = await setup()
    expect((await f.app.request('/v1/templates')).status).toBe(200)
    expect((await f.app.request(`/v1/bundles/${seo.digest}`)).status).toBe(200)
  })
})

describe('with tokens', () => {
  it.each([
    ['no header', {}],
    ['a wrong token', bearer('nope')],
    ['another scheme', { authorization: 'Basic dXNlcjpwYXNz' }],
    ['an empty bearer', { authorization: 'Bearer ' }],
  ])('answers 401 with WWW-Authenticate to %s', async (_, headers) => {
    const { seo } = await setup('right-token')
    for (const path of ['/v1/templates', '/v1/templates/seo', `/v1/bundles/${seo.digest}`]) {
      const res = await f.app.request(path, { headers })
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/)
      expect(await errorCode(res)).toBe('UNAUTHORIZED')
    }
  })

  it('accepts the right token, any case of the scheme', async () => {
    const { seo } = await setup('other,right-token')
    expect((await f.app.request('/v1/templates', { headers: bearer('right-token') })).status).toBe(
      200,
    )
    const res = await f.app.request(`/v1/bundles/${seo.digest}`, {
      headers: { authorization: 'bearer right-token' },
    })
    expect(res.status).toBe(200)
  })

  it('accepts a token configured as sha256:<hex>', async () => {
    await setup(`sha256:${hex('hashed-token')}`)
    expect((await f.app.request('/v1/templates', { headers: bearer('hashed-token') })).status).toBe(
      200,
    )
    // The configured hash itself is not a token.
    const res = await f.app.request('/v1/templates', {
      headers: bearer(`sha256:${hex('hashed-token')}`),
    })
    expect(res.status).toBe(401)
  })

  it('checks 401 before 400: an invalid digest without a token is still 401', async () => {
    await setup('right-token')
    expect((await f.app.request('/v1/bundles/nope')).status).toBe(401)
  })

  it('never logs the token', async () => {
    const lines: string[] = []
    f = await fixture({ ASSET_CACHE_READ_TOKENS: 'very-secret-token' })
    const app = runtimeApp(f.rt, {
      logger: createLogger('debug', { write: (s: string) => lines.push(s) }),
    })
    await app.request('/v1/templates', { headers: bearer('very-secret-token') })
    await app.request('/v1/templates', { headers: bearer('very-secret-wrong') })
    expect(lines.length).toBeGreaterThan(0)
    expect(lines.join('\n')).not.toMatch(/very-secret/)
  })
})

describe('scoped tokens', () => {
  it('see only their templates; others answer 404 as if unknown', async () => {
    const { seo, docs } = await setup('docs-only@docs,all')
    const h = { headers: bearer('docs-only') }
    const list = (await (await f.app.request('/v1/templates', h)).json()) as { name: string }[]
    expect(list.map((t) => t.name)).toEqual(['docs'])

    expect((await f.app.request('/v1/templates/docs', h)).status).toBe(200)
    const other = await f.app.request('/v1/templates/seo', h)
    expect(other.status).toBe(404)
    expect(await errorCode(other)).toBe('UNKNOWN_TEMPLATE')
    expect((await f.app.request('/v1/templates/seo/versions', h)).status).toBe(404)
    expect((await f.app.request('/v1/templates/seo/bundle', h)).status).toBe(404)

    expect((await f.app.request(`/v1/bundles/${docs.digest}`, h)).status).toBe(200)
    expect((await f.app.request(`/v1/bundles/${docs.digest}/manifest`, h)).status).toBe(200)
    // Out of scope, also once the bundle sits in the hot cache.
    expect((await f.app.request(`/v1/bundles/${seo.digest}`, bearer_('all'))).status).toBe(200)
    const denied = await f.app.request(`/v1/bundles/${seo.digest}`, h)
    expect(denied.status).toBe(404)
    expect((await f.app.request(`/v1/bundles/${seo.digest}/manifest`, h)).status).toBe(404)
  })

  it('may read older ready versions of their templates', async () => {
    const { docs } = await setup('docs-only@docs')
    const next = await ingestTree(f.rt, 'docs', { 'config.yaml': 'name: docs v2\n' })
    const h = { headers: bearer('docs-only') }
    expect((await f.app.request(`/v1/bundles/${next.digest}`, h)).status).toBe(200)
    expect((await f.app.request(`/v1/bundles/${docs.digest}`, h)).status).toBe(200)
  })
})

describe('matchReadToken', () => {
  it('matches exactly the configured tokens', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ minLength: 1 }).filter((s) => !/[,@\s]/.test(s)),
          {
            minLength: 1,
            maxLength: 5,
          },
        ),
        fc.string(),
        (tokens, probe) => {
          const entries = parseReadTokens(tokens.map((t) => t.replace(/^sha256:/, 'x')).join(','))
          const configured = tokens.map((t) => t.replace(/^sha256:/, 'x'))
          for (const t of configured) expect(matchReadToken(entries, t)).not.toBeNull()
          expect(matchReadToken(entries, probe) !== null).toBe(configured.includes(probe))
        },
      ),
    )
  })
})
