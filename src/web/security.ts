/** @module Response headers for every HTML page: no framing, no referrer, no caching. */
import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { CONTENT_SECURITY_POLICY } from './views/assets'

/**
 * RFC 9700 §4.16: pages that act on a click (sign-in, consent) must not be framed: both the old
 * header and CSP `frame-ancestors`. §4.2.4: `no-referrer`, so an authorization response's code or
 * state never leaks through a Referer. `no-store`: the pages show per-user data and one-time secrets.
 */
export const pageHeaders = createMiddleware<AppEnv>(async function pageHeaders(c, next) {
  await next()
  setPageHeaders(c)
})

/** Sets the page headers on the response: for a page answered before pageHeaders ran (an error page). */
export function setPageHeaders(c: Context) {
  c.header('Content-Security-Policy', CONTENT_SECURITY_POLICY)
  c.header('X-Frame-Options', 'DENY')
  c.header('Referrer-Policy', 'no-referrer')
  c.header('Cache-Control', 'no-store')
}
