// The OpenAPI document against the app: every route the app registers is documented and every
// documented operation exists (so neither can drift), every $ref resolves, and request schemas are
// the very zod objects the handlers validate with.
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { jsonSchemaOf } from '../../src/http/openapi/openapi.js'
import {
  digestSchema,
  gcBody,
  listQuery,
  pinBody,
  refreshBody,
} from '../../src/http/openapi/requests.js'
import { isDocumented } from '../../src/http/openapi/route-spec.js'
import { OPERATIONS as ROUTES } from '../../src/http/operations.js'
import { otherPayloadSchema, pushPayloadSchema } from '../../src/webhooks/payload.js'
import { type Fixture, fixture } from './read-fixture.js'

type Json = Record<string, unknown>
interface Operation {
  operationId?: string
  security?: Json[]
  parameters?: { name: string; in: string; required: boolean; schema: Json }[]
  requestBody?: { content: Record<string, { schema: Json }> }
  responses?: Record<string, { description?: string; content?: Record<string, { schema: Json }> }>
}

const METHODS = ['get', 'head', 'post', 'put', 'delete', 'patch', 'options', 'trace']

let f: Fixture
let doc: {
  openapi: string
  paths: Record<string, Record<string, Operation>>
  components: { schemas: Record<string, Json>; securitySchemes: Record<string, Json> }
}
let res: Response

beforeAll(async () => {
  // Tokens configured: the document is public all the same.
  f = await fixture({
    ASSET_CACHE_READ_TOKENS: 'reader',
    ASSET_CACHE_ADMIN_TOKEN: randomBytes(32).toString('hex'),
  })
  res = await f.app.request('/openapi.json')
  doc = (await res.clone().json()) as typeof doc
})
afterAll(() => f.rt.close())

/** `METHOD /path/{param}` for every operation in the document. */
function documented(): Set<string> {
  const ops = new Set<string>()
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of Object.keys(item)) {
      if (METHODS.includes(method)) ops.add(`${method.toUpperCase()} ${path}`)
    }
  }
  return ops
}

/** `METHOD /path/{param}` for every handler the app registers (middleware and /admin UI left out). */
function registered(): Set<string> {
  const ops = new Set<string>()
  for (const r of f.app.routes) {
    if (r.method === 'ALL') continue
    const path = r.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')
    if (!isDocumented(path)) continue
    ops.add(`${r.method} ${path}`)
  }
  return ops
}

function operations(): [string, string, Operation][] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([m]) => METHODS.includes(m))
      .map(([m, op]) => [path, m, op] as [string, string, Operation]),
  )
}

function resolve(ref: string): unknown {
  expect(ref.startsWith('#/'), ref).toBe(true)
  let node: unknown = doc
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    if (node === null || typeof node !== 'object' || !(key in node)) return undefined
    node = (node as Json)[key]
  }
  return node
}

function refsIn(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) refsIn(n, out)
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v)
      else refsIn(v, out)
    }
  }
  return out
}

/** A body schema as the document gives it, with a top-level `$ref` followed. */
function deref(schema: Json): Json {
  return typeof schema.$ref === 'string' ? (resolve(schema.$ref) as Json) : schema
}

const zodJson = (schema: z.ZodType) => {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: 'input' }) as Json
  return rest
}

const op = (path: string, method: string) => {
  const o = doc.paths[path]?.[method]
  expect(o, `${method} ${path}`).toBeDefined()
  return o!
}

describe('GET /openapi.json', () => {
  it('is a public OpenAPI 3.1 document, not cached without revalidation', async () => {
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(res.headers.get('cache-control')).toBe('no-cache')
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/)
    expect(Object.keys(doc.paths).length).toBeGreaterThan(0)
  })

  it('is built once per app: the same bytes every time', async () => {
    const again = await f.app.request('/openapi.json')
    expect(await again.text()).toBe(await res.clone().text())
  })
})

describe('the document and the app agree', () => {
  it('documents every route the app registers', () => {
    const missing = [...registered()].filter((op) => !documented().has(op))
    expect(missing).toEqual([])
  })

  it('documents no operation the app does not serve', () => {
    const extra = [...documented()].filter((op) => !registered().has(op))
    expect(extra).toEqual([])
  })

  it('leaves the /admin HTML UI out', () => {
    expect(f.app.routes.some((r) => r.path.startsWith('/admin'))).toBe(true)
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/admin'))).toEqual([])
  })

  it('the route table has one entry per method and path', () => {
    const keys = ROUTES.map((r) => `${r.method} ${r.path}`)
    expect(new Set(keys).size).toBe(keys.length)
  })
})

describe('operations', () => {
  it('every operation has a unique operationId, a summary, tags and described responses', () => {
    const ids = new Set<string>()
    for (const [path, method, o] of operations()) {
      const where = `${method} ${path}`
      expect(o.operationId, where).toMatch(/^[a-z][A-Za-z]+$/)
      expect(ids.has(o.operationId!), where).toBe(false)
      ids.add(o.operationId!)
      expect(Object.keys(o.responses ?? {}).length, where).toBeGreaterThan(0)
      for (const [status, r] of Object.entries(o.responses!)) {
        expect(status, where).toMatch(/^[1-5]\d\d$/)
        expect(r.description, `${where} ${status}`).toBeTruthy()
      }
    }
  })

  it('every error answer is the shared error body (but /readyz: its 503 is the readiness report)', () => {
    for (const [path, method, o] of operations()) {
      if (method === 'head' || path === '/readyz') continue
      for (const [status, r] of Object.entries(o.responses!)) {
        if (Number(status) < 400 || !r.content) continue
        expect(r.content['application/json']?.schema, `${method} ${path} ${status}`).toEqual({
          $ref: '#/components/schemas/Error',
        })
      }
    }
  })

  it('HEAD answers carry no body', () => {
    const head = op('/v1/bundles/{digest}', 'head')
    for (const r of Object.values(head.responses!)) expect(r.content).toBeUndefined()
  })

  it('every path parameter is declared, and only those', () => {
    for (const [path, method, o] of operations()) {
      const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort()
      const declared = (o.parameters ?? [])
        .filter((p) => p.in === 'path')
        .map((p) => {
          expect(p.required).toBe(true)
          return p.name
        })
        .sort()
      expect(declared, `${method} ${path}`).toEqual(inPath)
    }
  })

  it('security: bearer schemes for reads and admin, the signature for the webhook, none for ops', () => {
    const schemes = doc.components.securitySchemes
    expect(schemes.readToken).toMatchObject({ type: 'http', scheme: 'bearer' })
    expect(schemes.adminToken).toMatchObject({ type: 'http', scheme: 'bearer' })
    for (const [path, method, o] of operations()) {
      for (const requirement of o.security ?? []) {
        for (const name of Object.keys(requirement)) {
          expect(schemes[name], `${method} ${path} uses ${name}`).toBeDefined()
        }
      }
      const names = (o.security ?? []).flatMap((s) => Object.keys(s))
      if (path.startsWith('/v1/admin/')) expect(names, path).toEqual(['adminToken'])
      else if (path.startsWith('/v1/')) expect(names, path).toEqual(['readToken'])
      else if (path === '/hooks/gitea') expect(names).toEqual(['giteaSignature'])
      else expect(names, path).toEqual([])
    }
  })

  it('every $ref resolves', () => {
    const refs = refsIn(doc)
    expect(refs.length).toBeGreaterThan(0)
    for (const ref of refs) expect(resolve(ref), ref).toBeDefined()
  })

  it('names the main bodies in components', () => {
    for (const name of ['Error', 'Template', 'TemplateList', 'BundleManifest', 'AdminTemplate']) {
      expect(doc.components.schemas[name], name).toBeDefined()
    }
  })
})

describe('schemas are the ones the handlers validate with', () => {
  it('request bodies', () => {
    const body = (path: string, method: string) =>
      deref(op(path, method).requestBody!.content['application/json']!.schema)
    expect(body('/v1/admin/templates/{name}/pin', 'put')).toEqual(zodJson(pinBody))
    expect(body('/v1/admin/templates/{name}/refresh', 'post')).toEqual(zodJson(refreshBody))
    expect(body('/v1/admin/gc', 'post')).toEqual(zodJson(gcBody))
    const hook = op('/hooks/gitea', 'post').requestBody!.content['application/json']!.schema
    expect((hook.anyOf as Json[]).map(deref)).toEqual([
      zodJson(pushPayloadSchema),
      zodJson(otherPayloadSchema),
    ])
  })

  it('the route table holds the same objects the handler modules import', () => {
    const byId = (id: string) => ROUTES.find((r) => r.operationId === id)!
    expect(byId('adminPinTemplate').body!.schema).toBe(pinBody)
    expect(byId('adminRefreshTemplate').body!.schema).toBe(refreshBody)
    expect(byId('adminCollectGarbage').body!.schema).toBe(gcBody)
    expect(byId('adminListJobs').query).toBe(listQuery)
    expect(byId('receiveGiteaWebhook').body!.schema).toEqual([
      pushPayloadSchema,
      otherPayloadSchema,
    ])
  })

  it('parameters', () => {
    const param = (path: string, method: string, name: string) =>
      op(path, method).parameters!.find((p) => p.name === name)!
    const digest = param('/v1/bundles/{digest}', 'get', 'digest').schema
    expect(digest).toEqual(jsonSchemaOf(digestSchema))
    expect(digest.pattern).toBe('^sha256:[0-9a-f]{64}$')
    const limit = param('/v1/admin/jobs', 'get', 'limit')
    expect(limit.required).toBe(false)
    expect(limit.schema).toEqual(zodJson(listQuery.shape.limit))
  })
})
