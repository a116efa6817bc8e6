// The OpenAPI 3.1 document of the HTTP API, generated from the operations each route module
// declares beside its handlers (src/http/operations.ts) and the zod schemas the handlers validate
// with: nothing in it is written twice. OpenAPI 3.1 schema
// objects are JSON Schema draft 2020-12, which is what `z.toJSONSchema()` produces.
import { z } from 'zod'
import { gcBody, otherPayloadSchema, pinBody, pushPayloadSchema, refreshBody } from './requests.js'
import {
  bundleFile,
  bundleManifest,
  errorBodySchema,
  healthBody,
  openApiBody,
  readinessBody,
  templateBody,
  templateList,
  templateSummary,
  versionList,
  versionSummary,
  webhookAnswer,
} from './responses.js'
import {
  adminTemplate,
  adminTemplateDetail,
  adminTemplateList,
  adminVersion,
  adminVersionList,
  delivery,
  deliveryList,
  forgetAnswer,
  gcReport,
  job,
  queueBody,
  refreshAnswer,
  storeBody,
  verifyReport,
} from './responses-admin.js'
import { isDocumented, type RouteSecurity, type RouteSpec } from './route-spec.js'

type JsonSchema = Record<string, unknown>

/** Schemas named in `components.schemas`; bodies refer to them with `$ref`. */
const NAMED: Record<string, z.ZodType> = {
  Error: errorBodySchema,
  // requests
  PinRequest: pinBody,
  RefreshRequest: refreshBody,
  GcRequest: gcBody,
  GiteaPushPayload: pushPayloadSchema,
  GiteaEventPayload: otherPayloadSchema,
  // responses
  Health: healthBody,
  Readiness: readinessBody,
  OpenApiDocument: openApiBody,
  WebhookAnswer: webhookAnswer,
  TemplateSummary: templateSummary,
  TemplateList: templateList,
  Template: templateBody,
  Version: versionSummary,
  VersionList: versionList,
  BundleFile: bundleFile,
  BundleManifest: bundleManifest,
  AdminVersion: adminVersion,
  Job: job,
  Delivery: delivery,
  AdminTemplate: adminTemplate,
  StoreUsage: storeBody,
  AdminTemplateList: adminTemplateList,
  AdminTemplateDetail: adminTemplateDetail,
  AdminVersionList: adminVersionList,
  RefreshQueued: refreshAnswer,
  TemplateForgotten: forgetAnswer,
  Queue: queueBody,
  DeliveryList: deliveryList,
  VerifyReport: verifyReport,
  GcReport: gcReport,
}

const REF_PREFIX = '#/components/schemas/'

/**
 * `io: 'input'` everywhere: request bodies are documented as what a client may send (a GC budget
 * is a number or a size string before its transform), and response objects stay open (no
 * `additionalProperties: false`), so adding a field is not a breaking change for a client that
 * validates against this document. Response schemas have no transforms or defaults, so their
 * input and output shapes are otherwise the same.
 */
const IO = 'input' as const

/** The JSON Schema of one zod schema, as embedded in the document (no `$schema`, no `$id`). */
export function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  const { $schema: _s, $id: _i, ...rest } = z.toJSONSchema(schema, { io: IO }) as JsonSchema
  return rest
}

function componentSchemas(): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>()
  for (const [id, schema] of Object.entries(NAMED)) registry.add(schema, { id })
  const { schemas } = z.toJSONSchema(registry, { io: IO, uri: (id) => `${REF_PREFIX}${id}` })
  const out: Record<string, JsonSchema> = {}
  for (const [id, schema] of Object.entries(schemas)) {
    const { $schema: _s, $id: _i, ...rest } = schema as JsonSchema
    out[id] = rest
  }
  return out
}

const nameOf = new Map<z.ZodType, string>(Object.entries(NAMED).map(([id, s]) => [s, id]))

/** A `$ref` to the named schema, or the schema inline when it has no name. */
function schemaRef(schema: z.ZodType): JsonSchema {
  const id = nameOf.get(schema)
  return id ? { $ref: `${REF_PREFIX}${id}` } : jsonSchemaOf(schema)
}

function parameters(spec: RouteSpec): JsonSchema[] {
  const out: JsonSchema[] = []
  const from = (where: 'path' | 'query', object: z.ZodObject | undefined) => {
    for (const [name, field] of Object.entries(object?.shape ?? {})) {
      const { description, ...schema } = jsonSchemaOf(field as z.ZodType)
      out.push({
        name,
        in: where,
        required: where === 'path' || !(field as z.ZodType).safeParse(undefined).success,
        ...(description ? { description } : {}),
        schema,
      })
    }
  }
  from('path', spec.params)
  from('query', spec.query)
  return out
}

function requestBody(spec: RouteSpec): JsonSchema | undefined {
  if (!spec.body) return undefined
  const { schema, required, also } = spec.body
  const json = Array.isArray(schema)
    ? { anyOf: schema.map(schemaRef) }
    : schemaRef(schema as z.ZodType)
  return { required, content: { 'application/json': { schema: json }, ...also } }
}

function responses(spec: RouteSpec): JsonSchema {
  const out: JsonSchema = {}
  // HEAD answers carry headers only.
  const bodies = spec.method !== 'head'
  for (const [status, r] of Object.entries(spec.responses)) {
    let description = r.description
    let content: JsonSchema | undefined
    if (r.errors) {
      description += ` (${r.errors.map((c) => `\`${c}\``).join(', ')})`
      content = { 'application/json': { schema: schemaRef(errorBodySchema) } }
    } else if (r.json) {
      content = { 'application/json': { schema: schemaRef(r.json) } }
    } else if (r.media) {
      const schema = r.media.binary ? { type: 'string', format: 'binary' } : { type: 'string' }
      content = { [r.media.type]: { schema } }
    }
    out[status] = {
      description,
      ...(r.headers
        ? {
            headers: Object.fromEntries(
              Object.entries(r.headers).map(([name, d]) => [
                name,
                { description: d, schema: { type: 'string' } },
              ]),
            ),
          }
        : {}),
      ...(content && bodies ? { content } : {}),
      ...(r.errors ? { 'x-error-codes': [...r.errors] } : {}),
    }
  }
  return out
}

const SECURITY: Record<RouteSecurity, JsonSchema[]> = {
  read: [{ readToken: [] }],
  admin: [{ adminToken: [] }],
  webhook: [{ giteaSignature: [] }],
  none: [],
}

function operation(spec: RouteSpec): JsonSchema {
  const params = parameters(spec)
  const body = requestBody(spec)
  return {
    operationId: spec.operationId,
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    tags: [spec.tag],
    security: SECURITY[spec.security],
    ...(params.length ? { parameters: params } : {}),
    ...(body ? { requestBody: body } : {}),
    responses: responses(spec),
  }
}

/** Builds the document. Callers keep it: it does not change while the process runs. */
export function openApiDocument(routes: readonly RouteSpec[]): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {}
  for (const spec of routes) {
    if (!isDocumented(spec.path)) continue
    paths[spec.path] ??= {}
    paths[spec.path]![spec.method] = operation(spec)
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'asset-cache',
      version: 'v1',
      description:
        'A Gitea-webhook-driven cache of template assets: validated, canonical, ' +
        'content-addressed bundles served to provisioners by digest. Every error answer is ' +
        '`{"error":{"code","message","requestId"}}` and every answer carries `X-Request-Id`.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    tags: [
      { name: 'operations', description: 'health, readiness, metrics, this document' },
      { name: 'webhook', description: 'Gitea push deliveries' },
      { name: 'templates', description: 'provisioner API: resolve a template to a bundle' },
      { name: 'bundles', description: 'provisioner API: immutable bundles by digest' },
      { name: 'admin', description: 'admin API (the HTML UI at /admin is not documented here)' },
    ],
    paths,
    components: {
      securitySchemes: {
        readToken: {
          type: 'http',
          scheme: 'bearer',
          description:
            'A provisioner token from ASSET_CACHE_READ_TOKENS. With none configured, reads are ' +
            'anonymous (loopback listener or ASSET_CACHE_ALLOW_ANONYMOUS_READS=true).',
        },
        adminToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'ASSET_CACHE_ADMIN_TOKEN; a read token is not enough.',
        },
        giteaSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Gitea-Signature',
          description:
            'HMAC-SHA256 of the raw body with ASSET_CACHE_WEBHOOK_SECRET, lowercase hex. Also ' +
            'read from X-Forgejo-Signature, or X-Hub-Signature-256 with a `sha256=` prefix.',
        },
      },
      schemas: componentSchemas(),
    },
  }
}
