/**
 * @module CORS per application (Fetch standard, CORS protocol). Each application lists the origins
 * its browser code runs on (`applications.allowed_origins`); a response is readable cross-origin
 * only by an origin the application it concerns lists. Mounted on the token, revocation,
 * introspection and UserInfo endpoints and on the API; never on /o/authorize/ or the pages
 * (RFC 9700 §2.6: the authorization endpoint is navigated to, not fetched).
 *
 * - A preflight carries no credentials, so it cannot name an application: it is allowed when any
 *   application lists the origin. It only lets the browser send the real request.
 * - The real request's response is released to the origin only if the application of the client
 *   that authenticated, or of the bearer token, lists it. When the request identified no
 *   application (it failed before that), any application's listing releases it: such an answer
 *   is an error about the request itself, and the caller should be able to read why.
 * No cookies are involved, so `Access-Control-Allow-Credentials` is never sent.
 */
import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import {
  allowedOriginList,
  anyApplicationListsOrigin,
  type Application,
  findApplicationByClientId,
} from '../store/applications'
import type { BearerAuth } from './bearer'

/** A serialized origin: scheme, host and optional port, nothing else ("null" is never allowed). */
const ORIGIN = /^https?:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^https?:\/\/\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$/

const anyApplicationAllows = (c: Context<AppEnv>, origin: string) => anyApplicationListsOrigin(c.get('db'), origin)

async function requestAllows(c: Context<AppEnv>, origin: string): Promise<boolean> {
  const client = c.get('client') as Application | undefined
  const auth = c.get('auth') as BearerAuth | undefined
  // By client_id: a JWT read from its claims alone (the API's) carries no application row id.
  const app = client ?? (auth ? await findApplicationByClientId(c.get('db'), auth.clientId) : undefined)
  if (app) return allowedOriginList(app).includes(origin)
  return !client && !auth && anyApplicationAllows(c, origin)
}

/**
 * CORS for an endpoint that answers `methods`. The origin check costs one D1 read, and only for
 * requests that carry an `Origin` (browsers' cross-origin requests).
 */
export const applicationCors = (methods: string) =>
  createMiddleware<AppEnv>(async function applicationCors(c, next) {
    const origin = c.req.header('Origin')
    const valid = origin !== undefined && ORIGIN.test(origin)
    if (c.req.method === 'OPTIONS' && origin !== undefined && c.req.header('Access-Control-Request-Method')) {
      if (valid && (await anyApplicationAllows(c, origin))) {
        return c.body(null, 204, {
          'Access-Control-Allow-Origin': origin,
          'Access-Control-Allow-Methods': methods,
          'Access-Control-Allow-Headers': 'Authorization, Content-Type',
          'Access-Control-Max-Age': '600',
          Vary: 'Origin',
        })
      }
    }
    await next()
    c.res.headers.append('Vary', 'Origin')
    if (!valid) return
    // The response is final by now: if the lookup fails, it goes out without CORS rather than be lost.
    const allowed = await requestAllows(c, origin).catch(() => false)
    if (!allowed) return
    c.res.headers.set('Access-Control-Allow-Origin', origin)
    c.res.headers.set('Access-Control-Expose-Headers', 'WWW-Authenticate, Retry-After, X-Request-Id')
  })
