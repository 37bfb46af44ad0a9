/**
 * @module Showing a new client secret once, on the page a POST redirects to (Post/Redirect/Get), so
 * reloading that page does not submit the form again. The server keeps nothing: the secret rides
 * to the next GET in a cookie, sealed with AES-GCM under a key derived from the session's CSRF
 * secret (so only this session can open it), scoped to that one page's path, HttpOnly, SameSite
 * Strict, for two minutes, and cleared by the GET that shows it. The secret is stored hashed
 * everywhere else (RFC 6749 §10.10 / §2.3.1).
 */
import type { Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { hmac } from '@oslojs/crypto/hmac'
import { SHA256 } from '@oslojs/crypto/sha2'
import { decodeBase64urlIgnorePadding, encodeBase64urlNoPadding } from '@oslojs/encoding'
import type { AppEnv } from '../env'
import { systemClock } from '../clock'
import { isHttps, type Session } from './session'

const COOKIE = 'eot_new_secret'
const LIFETIME_SECONDS = 120
const encoder = new TextEncoder()

const keyOf = (session: Pick<Session, 'csrfSecret'>) =>
  crypto.subtle.importKey(
    'raw',
    hmac(SHA256, encoder.encode(session.csrfSecret), encoder.encode('client-secret-flash')),
    'AES-GCM',
    false,
    ['encrypt', 'decrypt'],
  )

/** Seals `secret` for the page at `path`, which shows it on the next GET (`takeFlashedSecret`). */
export async function flashSecret(c: Context<AppEnv>, session: Session, path: string, secret: string): Promise<void> {
  const iv = crypto.getRandomValues(new Uint8Array(12))
  const plain = encoder.encode(JSON.stringify({ path, secret, exp: systemClock.now() + LIFETIME_SECONDS }))
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, await keyOf(session), plain))
  const value = new Uint8Array(iv.length + sealed.length)
  value.set(iv)
  value.set(sealed, iv.length)
  setCookie(c, COOKIE, encodeBase64urlNoPadding(value), {
    path,
    httpOnly: true,
    sameSite: 'Strict',
    secure: isHttps(c),
    maxAge: LIFETIME_SECONDS,
  })
}

/**
 * The secret flashed for this page, once: the cookie is cleared whatever it holds. Undefined when
 * there is none, it is for another page or session, or it is too old.
 */
export async function takeFlashedSecret(
  c: Context<AppEnv>,
  session: Session,
  path: string,
): Promise<string | undefined> {
  const value = getCookie(c, COOKIE)
  if (value === undefined) return undefined
  deleteCookie(c, COOKIE, { path, secure: isHttps(c) })
  try {
    const bytes = decodeBase64urlIgnorePadding(value)
    const iv = bytes.slice(0, 12)
    const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, await keyOf(session), bytes.slice(12))
    const opened = JSON.parse(new TextDecoder().decode(plain)) as { path: string; secret: string; exp: number }
    return opened.path === path && opened.exp > systemClock.now() ? opened.secret : undefined
  } catch {
    // Tampered with, or sealed for another session: show nothing.
    return undefined
  }
}
