/**
 * @module The Worker: the OAuth 2 provider under /o/ and the users/groups API, one Hono app composed of
 * three surfaces (src/protocol, src/api, src/web), each with its own error format (docs/architecture.md).
 */
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { AppEnv } from './env'
import { createDb } from './db/client'
import { guardedEnv } from './storage/guard'
import { BodyTooLarge } from './errors'
import { log } from './log'
import { MAX_BODY_BYTES, readSettings } from './config'
import { applicationCors } from './auth/cors'
import { appendSlashLocation } from './http/same-origin'
import type { Surface } from './http/surface'
import { scheduled } from './maintenance/scheduled'
import { protocolSurface } from './protocol/surface'
import { apiSurface, apiOnError } from './api/surface'
import { webSurface } from './web/surface'

export const app = new Hono<AppEnv>()

app.use('*', async function requestContext(c, next) {
  c.set('requestId', c.req.header('CF-Ray') ?? crypto.randomUUID())
  // Every storage call below goes through the guard: an outage answers 503, never a stack trace.
  c.env = guardedEnv(c.env)
  c.set('db', createDb(c.env.DB))
  const started = Date.now()
  await next()
  c.header('X-Request-Id', c.get('requestId'))
  c.header('X-Content-Type-Options', 'nosniff')
  if (readSettings(c.env).logRequests)
    log(c, 'info', { event: 'request', status: c.res.status, ms: Date.now() - started })
})

// Every endpoint here takes small form or JSON bodies; anything bigger is refused unread.
const limitBody = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw new BodyTooLarge()
  },
})

/** A path and the methods it answers: CORS per application where browser clients call in (src/auth/cors.ts). */
type CorsRoute = readonly [path: string, methods: string]

/**
 * Mounts a surface with the body limit and its CORS routes inside it, so that the surface's onError
 * renders what they throw (a 413, a storage failure) in its own format.
 */
function mount(surface: Surface, cors: readonly CorsRoute[] = []) {
  const sub = new Hono<AppEnv>()
  for (const path of surface.paths) sub.use(path, limitBody)
  for (const [path, methods] of cors) sub.use(path, applicationCors(methods))
  sub.route('/', surface.routes)
  sub.onError(surface.onError)
  app.route('/', sub)
}

mount(protocolSurface, [
  ['/o/token/', 'POST'],
  ['/o/revoke_token/', 'POST'],
  ['/o/introspect/', 'POST'],
  ['/o/userinfo/', 'GET, POST'],
])
mount(apiSurface, [
  ['/users/*', 'GET, POST, HEAD, OPTIONS'],
  ['/groups/*', 'GET, HEAD, OPTIONS'],
])
// The pages: sign-in, consent, application management, authorized apps, home (src/web/); never CORS.
mount(webSurface)

app.notFound((c) => {
  // Django's APPEND_SLASH: every route here ends in "/", so send slash-less paths there, but only
  // to a path provably on this origin: `//host`, `/\host`, `%2F`, dot segments are 404 (CVE-2018-14574).
  const location = appendSlashLocation(new URL(c.req.url))
  if (location !== null) {
    const safe = c.req.method === 'GET' || c.req.method === 'HEAD'
    return c.redirect(location, safe ? 301 : 308)
  }
  return c.json({ detail: 'Not found.' }, 404)
})
// Only what fails outside every surface lands here (the request context): the API's format, as the 404's.
app.onError(apiOnError)

export default {
  fetch: app.fetch,
  scheduled,
} satisfies ExportedHandler<Env>
