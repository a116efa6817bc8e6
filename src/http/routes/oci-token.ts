// GET /v2/token: the token endpoint the Bearer challenge names (Docker registry token
// authentication, as containerd, Docker and pull-through registries speak it). It takes the
// caller's read token — as the Basic password, or as a Bearer — and answers that same token as the
// bearer to use: no new secret is minted and the bearer never grants more than what was presented.
// The requested `scope` is not narrowed here; every /v2 route checks the token's own scope.
import type { Context } from 'hono'
import { basicPassword, isBasic, SERVICE } from '../../oci/auth.js'
import { OciError } from '../../oci/errors.js'
import type { AppEnv } from '../env.js'
import { BEARER } from '../middleware/read-auth.js'
import { API_VERSION, ociScope } from './oci-answers.js'

/** Seconds a client may keep the bearer before asking again (it stays valid as long as the token). */
export const TOKEN_EXPIRES_IN = 3600

/** What to hand back as the bearer: the presented token, or `anonymous` when no tokens are configured. */
function bearerFor(c: Context<AppEnv>): string | null {
  const header = c.req.header('authorization')
  const tokens = c.get('deps').state.readTokens
  if (tokens.empty) return 'anonymous'
  if (ociScope(tokens, header) === false) return null
  if (isBasic(header)) return basicPassword(header)
  return BEARER.exec(header ?? '')?.[1] ?? null
}

export function ociTokenResponse(c: Context<AppEnv>): Response {
  const token = bearerFor(c)
  if (token === null) {
    throw new OciError(
      401,
      'UNAUTHORIZED',
      'a read token is required (as the Basic password)',
      null,
      {
        'WWW-Authenticate': `Basic realm="${SERVICE}"`,
      },
    )
  }
  const body = JSON.stringify({ token, access_token: token, expires_in: TOKEN_EXPIRES_IN })
  return new Response(body, {
    status: 200,
    headers: {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-store',
      'Docker-Distribution-API-Version': API_VERSION,
    },
  })
}
