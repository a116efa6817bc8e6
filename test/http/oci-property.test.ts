// Untrusted input on /v2: random Authorization headers, names, references, queries and methods
// never get a 500 or a crash, every refusal is an OCI error body with a spec code, a 401 always
// carries its challenges, and a scoped token never reads another template, whatever it sends.
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Fixture, fixture, ingestTree } from './read-fixture.js'

const READER = 'prop-reader'
const SCOPED = 'prop-docs'
const CODES = new Set([
  'BLOB_UNKNOWN',
  'DIGEST_INVALID',
  'MANIFEST_UNKNOWN',
  'NAME_INVALID',
  'NAME_UNKNOWN',
  'UNAUTHORIZED',
  'UNSUPPORTED',
  'PAGINATION_NUMBER_INVALID',
])

let f: Fixture
let anon: Fixture
let digest: string
let commit: string

beforeAll(async () => {
  f = await fixture({ ASSET_CACHE_READ_TOKENS: `${READER},${SCOPED}@docs` })
  anon = await fixture()
  ;({ digest, commit } = await ingestTree(f.rt, 'seo', { 'config.yaml': 'name: seo\n' }))
  await ingestTree(anon.rt, 'seo', { 'config.yaml': 'name: seo\n' })
})
afterAll(() => {
  f.rt.close()
  anon.rt.close()
})

const b64 = (s: string | Uint8Array) => Buffer.from(s).toString('base64')
/** Header-safe text: visible ASCII, space and tab. */
const headerText = fc.string({
  unit: fc.constantFrom(...' \t!"#$%&\'()*+,-./0123456789:;<=>?@AZaz[\\]^_`{|}~'.split('')),
  maxLength: 80,
})

const authorization = fc.oneof(
  fc.constant(undefined),
  headerText,
  headerText.map((s) => `Bearer ${s}`),
  headerText.map((s) => `Basic ${s}`),
  fc.uint8Array({ maxLength: 60 }).map((b) => `Basic ${b64(b)}`),
  fc
    .tuple(headerText, fc.constantFrom(READER, SCOPED, 'nope', ''))
    .map(([u, p]) => `Basic ${b64(`${u}:${p}`)}`),
  fc.constantFrom(
    `Bearer ${READER}`,
    `Bearer ${SCOPED}`,
    `bearer  ${READER} `,
    `Basic ${b64(`:${READER}`)}`,
  ),
)

const segment = fc.oneof(
  fc.constantFrom(
    'templates',
    'seo',
    'docs',
    'empty',
    'templates-b32',
    'onsw6li',
    '..',
    '.',
    '',
    '%2e%2e',
    'A',
    'a__b',
    'a---b',
  ),
  fc.string({ unit: fc.constantFrom(...'abz09._-%/:@'.split('')), maxLength: 12 }),
)
const name = fc.array(segment, { minLength: 0, maxLength: 4 }).map((s) => s.join('/'))
const reference = fc.oneof(
  fc.constantFrom(
    'latest',
    'main',
    'commit',
    'digest',
    `sha256:${'0'.repeat(64)}`,
    'sha256:',
    'sha512:abc',
    ':',
  ),
  fc.string({ unit: fc.constantFrom(...'abcdef0123456789:._-ABCXYZ%'.split('')), maxLength: 140 }),
)
const action = fc.constantFrom('manifests', 'blobs', 'referrers', 'tags', 'uploads')
const query = fc.oneof(
  fc.constant(''),
  fc
    .tuple(headerText, headerText)
    .map(([n, last]) => `?n=${encodeURIComponent(n)}&last=${encodeURIComponent(last)}`),
  fc.constantFrom('?n=1', '?n=0', '?n=99999999999', '?artifactType=x', '?n=-1'),
)
const method = fc.constantFrom('GET', 'HEAD', 'GET', 'PUT', 'POST', 'DELETE', 'PATCH')

async function call(
  app: Fixture['app'],
  m: string,
  path: string,
  auth: string | undefined,
  host?: string,
) {
  const headers: Record<string, string> = {}
  if (auth !== undefined) headers.authorization = auth
  if (host !== undefined) headers.host = host
  return app.request(path, { method: m, headers })
}

function pathOf(n: string, a: string, r: string, q: string) {
  const ref = r === 'digest' ? digest : r === 'commit' ? commit : r
  return a === 'tags' ? `/v2/${n}/tags/list${q}` : `/v2/${n}/${a}/${ref}${q}`
}

async function checkAnswer(res: Response, m: string) {
  expect(res.status).toBeLessThan(500)
  expect(res.headers.get('docker-distribution-api-version')).toBe('registry/2.0')
  const text = await res.text()
  if (res.status === 401)
    expect(res.headers.get('www-authenticate')).toMatch(/(^|, )Basic realm="asset-cache"$/)
  if (res.status >= 400 && m !== 'HEAD') {
    const body = JSON.parse(text) as { errors: { code: string; message: string }[] }
    expect(CODES.has(body.errors[0]!.code), body.errors[0]!.code).toBe(true)
    expect(text).not.toContain(READER)
    expect(text).not.toContain(SCOPED)
  }
}

describe('/v2 under random input (property)', () => {
  it('never answers 5xx, always an OCI body with a spec code', async () => {
    await fc.assert(
      fc.asyncProperty(
        method,
        name,
        action,
        reference,
        query,
        authorization,
        headerText,
        async (m, n, a, r, q, auth, host) => {
          const url = new URL(pathOf(n, a, r, q), 'http://x')
          const path = url.pathname + url.search
          // Dot segments can resolve out of /v2 entirely: then it is not this API's request.
          if (!path.startsWith('/v2')) return
          await checkAnswer(await call(f.app, m, path, auth, host.trim() || undefined), m)
          await checkAnswer(await call(anon.app, m, path, auth), m)
        },
      ),
      { numRuns: 400 },
    )
  })

  it('never lets a token without seo in scope read or learn anything of seo', async () => {
    await fc.assert(
      fc.asyncProperty(action, reference, query, authorization, async (a, r, q, auth) => {
        if (
          auth === `Bearer ${READER}` ||
          auth === `bearer  ${READER} ` ||
          auth?.includes(b64(`:${READER}`))
        )
          return
        if (
          auth?.startsWith('Basic ') &&
          Buffer.from(auth.slice(6), 'base64').toString().endsWith(`:${READER}`)
        )
          return
        const res = await call(f.app, 'GET', pathOf('templates/seo', a, r, q), auth)
        expect(res.status === 200 || res.status === 206 || res.status === 304).toBe(false)
        // The same answer as for a name that does not exist: nothing learned about seo.
        const none = await call(f.app, 'GET', pathOf('templates/nope', a, r, q), auth)
        expect(res.status).toBe(none.status)
        const text = (await res.text()).replaceAll('templates/seo', 'templates/nope')
        expect(text).toBe(await none.text())
      }),
      { numRuns: 300 },
    )
  })

  it('reads anonymously when no tokens are configured (loopback), whatever Authorization says', async () => {
    await fc.assert(
      fc.asyncProperty(authorization, async (auth) => {
        const res = await call(anon.app, 'GET', '/v2/templates/seo/manifests/latest', auth)
        expect(res.status).toBe(200)
      }),
      { numRuns: 50 },
    )
  })
})
