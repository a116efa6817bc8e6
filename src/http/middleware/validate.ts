// The one place request bodies and queries meet zod: a failure is 400 with a stable code and a
// message naming the field, never a stack or an echo of the input.
import type { Context } from 'hono'
import type { z } from 'zod'
import { ApiError } from '../errors.js'

function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ')
}

/** Parses `value` with `schema`, or throws 400 `code` (INVALID_PAYLOAD unless a route needs its own). */
export function validated<S extends z.ZodType>(
  schema: S,
  value: unknown,
  code: ApiError['code'] = 'INVALID_PAYLOAD',
): z.output<S> {
  const parsed = schema.safeParse(value)
  if (!parsed.success) throw new ApiError(code, describe(parsed.error))
  return parsed.data
}

/** A JSON body checked against `schema`; an empty body counts as `{}`. */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const text = await c.req.text()
  let value: unknown = {}
  if (text.trim() !== '') {
    try {
      value = JSON.parse(text)
    } catch {
      throw new ApiError('MALFORMED_JSON', 'the body is not valid JSON')
    }
  }
  return validated(schema, value)
}

/** The path parameters checked against `schema`. */
export function paramsOf<S extends z.ZodType>(
  c: Context,
  schema: S,
  code?: ApiError['code'],
): z.output<S> {
  return validated(schema, c.req.param(), code)
}

/** The query string checked against `schema`. */
export function queryOf<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  return validated(schema, c.req.query())
}
