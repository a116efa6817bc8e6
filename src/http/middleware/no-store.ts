// `Cache-Control: no-store` on every answer of a route group: live state that no cache between
// the caller and us may keep (RFC 9111 §5.2.2.5), including the group's error answers.
import type { MiddlewareHandler } from 'hono'

export const noStore: MiddlewareHandler = async (c, next) => {
  await next()
  c.header('Cache-Control', 'no-store')
}
