/**
 * @module CSRF protection for every form POST (RFC 6749 §10.12; OWASP CSRF Prevention Cheat Sheet).
 * Three layers, all required:
 * - SameSite=Lax cookies: a cross-site POST arrives without the session at all.
 * - A browser that says where the POST came from (`Origin`, `Sec-Fetch-Site`) must say "here".
 * - A token in the form: for a signed-in user, an HMAC-SHA256 of the session's random CSRF secret
 *   (synchronizer token, nothing extra stored); before sign-in, where there is no session yet, a
 *   random value in a cookie that the form must repeat (double submit), against login CSRF.
 * Tokens are compared in constant time.
 */
import type { Context } from 'hono'
import { getCookie, setCookie } from 'hono/cookie'
import { hmac } from '@oslojs/crypto/hmac'
import { SHA256 } from '@oslojs/crypto/sha2'
import { encodeBase64urlNoPadding } from '@oslojs/encoding'
import type { AppEnv } from '../env'
import { safeEqual } from '../crypto/compare'
import { randomToken } from '../crypto/token'
import { isHttps, type Session } from './session'

/** The form field every protected form carries (Django's name for it). */
export const CSRF_FIELD = 'csrfmiddlewaretoken'
const LOGIN_CSRF_COOKIE = 'eot_login_csrf'

const encoder = new TextEncoder()

/** The CSRF token of a session's forms. */
export function sessionCsrfToken(session: Pick<Session, 'csrfSecret'>): string {
  return encodeBase64urlNoPadding(hmac(SHA256, encoder.encode(session.csrfSecret), encoder.encode('csrf-form-token')))
}

/** The sign-in form's token: the value of its cookie, set here when the browser has none yet. */
function loginCsrfToken(c: Context<AppEnv>): string {
  const existing = getCookie(c, LOGIN_CSRF_COOKIE)
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing
  const token = randomToken()
  setCookie(c, LOGIN_CSRF_COOKIE, token, { path: '/accounts/', httpOnly: true, sameSite: 'Lax', secure: isHttps(c) })
  return token
}

/** The token the forms on this page must carry: the session's, or before sign-in the cookie's. */
export function csrfTokenFor(c: Context<AppEnv>): string {
  const session = c.get('session')
  return session ? sessionCsrfToken(session) : loginCsrfToken(c)
}

/**
 * Whether the browser reports a POST from another site (only ever trusted to refuse, never to allow).
 * `Origin: null` says nothing: browsers send it for every form POST from a page with
 * `Referrer-Policy: no-referrer`, as ours are (Fetch standard, "serializing a request origin").
 */
function isCrossSite(c: Context): boolean {
  const origin = c.req.header('Origin')
  if (origin !== undefined && origin !== 'null' && origin !== new URL(c.req.url).origin) return true
  const site = c.req.header('Sec-Fetch-Site')
  return site !== undefined && site !== 'same-origin' && site !== 'none'
}

/**
 * Whether a form POST may proceed: same-origin as far as the browser says, and carrying the token
 * of the session it acts for (or, with no session, the sign-in cookie's).
 */
export function verifyCsrf(c: Context<AppEnv>, form: URLSearchParams): boolean {
  if (isCrossSite(c)) return false
  const given = form.get(CSRF_FIELD) ?? ''
  const session = c.get('session')
  const expected = session ? sessionCsrfToken(session) : getCookie(c, LOGIN_CSRF_COOKIE)
  return expected !== undefined && expected !== '' && safeEqual(given, expected)
}
