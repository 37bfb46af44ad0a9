/**
 * @module Browser sessions for the sign-in, consent and management pages. The cookie holds a random
 * id; D1 holds only its SHA-256 digest, the user, a per-session CSRF secret and the expiry, so
 * signing out (here or everywhere) and a password change end a session at once, server-side.
 * Cookie: HttpOnly (no script reads it), SameSite=Lax (not sent on cross-site POSTs), Secure when
 * served over https (RFC 6265bis §4.1.2; OWASP Session Management Cheat Sheet).
 */
import type { Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { readSettings } from '../config'
import { randomToken, sha256Hex } from '../crypto/token'
import { systemClock } from '../clock'
import type { User } from '../store/users'
import { deleteSession, findLiveSession, insertSession } from '../store/sessions'
import { safeNext } from './next-url'

const SESSION_COOKIE = 'eot_session'

/** A signed-in browser: who, since when (OpenID Connect `auth_time`), and its CSRF secret. */
export type Session = { idHash: string; user: User; csrfSecret: string; created: number; expiresAt: number }

// The pages' own request variable, declared here as hono's jwt middleware declares its own, so that
// env.ts does not import from the web surface.
declare module 'hono' {
  interface ContextVariableMap {
    /** Set by loadSession on the pages: the signed-in browser session, or null. */
    session: Session | null
  }
}

/** Whether the request came over https, where cookies get the Secure attribute. */
export const isHttps = (c: Context) => new URL(c.req.url).protocol === 'https:'

/** Starts a session for `userId` and sets its cookie. Any session the browser had is ended first (fixation). */
export async function startSession(c: Context<AppEnv>, userId: number): Promise<void> {
  await deleteSessionRow(c)
  const id = randomToken()
  const { sessionExpireSeconds } = readSettings(c.env)
  await insertSession(c.get('db'), {
    idHash: sha256Hex(id),
    userId,
    csrfSecret: randomToken(),
    expiresAt: systemClock.now() + sessionExpireSeconds,
  })
  setCookie(c, SESSION_COOKIE, id, {
    path: '/',
    httpOnly: true,
    sameSite: 'Lax',
    secure: isHttps(c),
    maxAge: sessionExpireSeconds,
  })
}

/** The live session of this request's cookie, with its active user, or null. */
async function findSession(c: Context<AppEnv>): Promise<Session | null> {
  const id = getCookie(c, SESSION_COOKIE)
  if (!id || id.length > 100) return null
  const row = await findLiveSession(c.get('db'), sha256Hex(id), systemClock)
  if (!row?.user.isActive) return null
  const { idHash, csrfSecret, created, expiresAt } = row.session
  return { idHash, user: row.user, csrfSecret, created, expiresAt }
}

/** Loads the session (or null) into `c.get('session')`; every page route runs behind it. */
export const loadSession = createMiddleware<AppEnv>(async function loadSession(c, next) {
  c.set('session', await findSession(c))
  await next()
})

async function deleteSessionRow(c: Context<AppEnv>): Promise<void> {
  const id = getCookie(c, SESSION_COOKIE)
  if (id) await deleteSession(c.get('db'), sha256Hex(id))
}

/** Ends this browser's session, server-side and in the cookie. */
export async function endSession(c: Context<AppEnv>): Promise<void> {
  await deleteSessionRow(c)
  deleteCookie(c, SESSION_COOKIE, { path: '/', secure: isHttps(c) })
}

/**
 * The sign-in page's URL that comes back to `next` afterwards. `next` is built from the request, so
 * it passes through safeNext here as it will after sign-in: the page never shows a `next` it will not follow.
 */
export const loginUrl = (next: string) => `/accounts/login/?next=${encodeURIComponent(safeNext(next))}`

/** The path and query of this request: where sign-in should come back to. */
const currentPath = (c: Context) => {
  const url = new URL(c.req.url)
  return url.pathname + url.search
}

/**
 * Lets only signed-in users through; others go to sign-in and come back here. A POST comes back
 * to the same path as a GET (303), since its form would be stale anyway.
 */
export const requireLogin = createMiddleware<AppEnv>(async function requireLogin(c, next) {
  if (!c.get('session')) {
    const target = c.req.method === 'GET' || c.req.method === 'HEAD' ? currentPath(c) : new URL(c.req.url).pathname
    return c.redirect(loginUrl(target), c.req.method === 'GET' ? 302 : 303)
  }
  await next()
})

/** The signed-in session of a route behind requireLogin. */
export function signedIn(c: Context<AppEnv>): Session {
  const session = c.get('session')
  if (!session) throw new Error('signedIn() used on a route without requireLogin')
  return session
}
