// Admin UI sessions: a random id in an HttpOnly cookie, never the admin token itself, kept in
// memory per app (`deps.state.adminSessions`, made once by appDeps()) with an absolute expiry and a
// per-session CSRF token. A restart signs everyone out, which is the point.
import { randomBytes } from 'node:crypto'
import type { Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { sameText } from '../../secret.js'
import type { AppDeps, AppEnv } from '../env.js'
import type { AdminSession } from './session-store.js'

export const SESSION_COOKIE = 'asset_cache_admin'
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000
/** Sessions one app keeps at most; signing in past it drops the oldest. */
const MAX_SESSIONS = 1000
const COOKIE_PATH = '/admin'

function sessionsOf(deps: AppDeps): Map<string, AdminSession> {
  return deps.state.adminSessions
}

const randomId = () => randomBytes(32).toString('base64url')

/** Whether the request reached us over https (directly, or through a proxy that says so). */
export function isHttps<E extends AppEnv>(c: Context<E>): boolean {
  if (new URL(c.req.url).protocol === 'https:') return true
  // Only ever makes the cookie stricter, so a forged header harms no one but its sender.
  return c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase() === 'https'
}

/** Starts a session and sets its cookie. */
export function startSession<E extends AppEnv>(c: Context<E>): AdminSession {
  const deps = c.var.deps
  const sessions = sessionsOf(deps)
  const now = deps.now()
  for (const [id, s] of sessions) if (s.expiresAt <= now) sessions.delete(id)
  while (sessions.size >= MAX_SESSIONS) {
    const oldest = sessions.keys().next().value
    if (oldest === undefined) break
    sessions.delete(oldest)
  }
  const session = { id: randomId(), csrf: randomId(), expiresAt: now + SESSION_TTL_MS }
  sessions.set(session.id, session)
  setCookie(c, SESSION_COOKIE, session.id, {
    httpOnly: true,
    sameSite: 'Strict',
    path: COOKIE_PATH,
    secure: isHttps(c),
    maxAge: Math.floor(SESSION_TTL_MS / 1000),
  })
  return session
}

/** The live session the request's cookie names, or null. */
export function currentSession<E extends AppEnv>(c: Context<E>): AdminSession | null {
  const id = getCookie(c, SESSION_COOKIE)
  if (!id) return null
  const sessions = sessionsOf(c.var.deps)
  const session = sessions.get(id)
  if (!session) return null
  if (session.expiresAt <= c.var.deps.now()) {
    sessions.delete(id)
    return null
  }
  return session
}

export function endSession<E extends AppEnv>(c: Context<E>, session: AdminSession | null): void {
  if (session) sessionsOf(c.var.deps).delete(session.id)
  deleteCookie(c, SESSION_COOKIE, { path: COOKIE_PATH, secure: isHttps(c) })
}

/** Constant-time comparison of a submitted CSRF token with the session's. */
export function csrfMatches(session: AdminSession, presented: unknown): boolean {
  if (typeof presented !== 'string' || presented === '') return false
  return sameText(session.csrf, presented)
}

export type { AdminSession } from './session-store.js'
