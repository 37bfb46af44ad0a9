/**
 * @module The Worker: the OAuth 2 provider under /o/ and the users/groups API, one Hono app.
 */
import { Hono } from 'hono'
import type { AppEnv } from './env'
import { createDb } from './db/client'
import { guardStorage } from './storage/guard'
import { bodyLimit } from 'hono/body-limit'
import { ApiError, OAuthError, onError } from './errors'
import { log } from './log'
import { MAX_BODY_BYTES } from './config'
import { tokenRoutes } from './oauth/token'
import { revokeRoutes } from './oauth/revoke'
import { introspectRoutes } from './oauth/introspect'
import { discoveryRoutes } from './oauth/discovery'
import { userinfoRoutes } from './oidc/userinfo'
import { userRoutes } from './api/users'
import { groupRoutes } from './api/groups'
import { applicationCors } from './http/cors'
import { appendSlashLocation } from './http/same-origin'
import { scheduled } from './maintenance/scheduled'
import { signInRoutes } from './web/sign-in'
import { authorizeRoutes } from './web/authorize'
import { applicationRoutes } from './web/applications'
import { authorizedTokenRoutes } from './web/authorized-tokens'
import { homeRoutes } from './web/home'

export const app = new Hono<AppEnv>()

app.use('*', async function requestContext(c, next) {
  c.set('requestId', c.req.header('CF-Ray') ?? crypto.randomUUID())
  // Every storage call below goes through the guard: an outage answers 503, never a stack trace.
  c.env = { ...c.env, DB: guardStorage(c.env.DB), TOKENS: guardStorage(c.env.TOKENS) }
  c.set('db', createDb(c.env.DB))
  const started = Date.now()
  await next()
  c.header('X-Request-Id', c.get('requestId'))
  c.header('X-Content-Type-Options', 'nosniff')
  log(c, 'info', { event: 'request', status: c.res.status, ms: Date.now() - started })
})

// Every endpoint here takes small form or JSON bodies; anything bigger is refused unread.
app.use(
  '*',
  bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) => {
      if (c.req.path.startsWith('/o/')) throw new OAuthError('invalid_request', 'Request body too large.', 413)
      throw new ApiError(413, 'Request body too large.')
    },
  }),
)

// CORS per application where browser clients call in (src/http/cors.ts); never /o/authorize/ or the pages.
const CORS_ENDPOINTS = [
  ['/o/token/', 'POST'],
  ['/o/revoke_token/', 'POST'],
  ['/o/introspect/', 'POST'],
  ['/o/userinfo/', 'GET, POST'],
  ['/users/*', 'GET, POST, HEAD, OPTIONS'],
  ['/groups/*', 'GET, HEAD, OPTIONS'],
] as const
for (const [path, methods] of CORS_ENDPOINTS) app.use(path, applicationCors(methods))

app.route('/', tokenRoutes)
app.route('/', revokeRoutes)
app.route('/', introspectRoutes)
app.route('/', discoveryRoutes)
app.route('/', userinfoRoutes)
app.route('/', userRoutes)
app.route('/', groupRoutes)
// The pages: sign-in, consent, application management, authorized apps, home (src/web/).
app.route('/', signInRoutes)
app.route('/', authorizeRoutes)
app.route('/', applicationRoutes)
app.route('/', authorizedTokenRoutes)
app.route('/', homeRoutes)

app.notFound((c) => {
  // Django's APPEND_SLASH: every route here ends in "/", so send slash-less paths there, but only
  // to a path provably on this origin: `//host`, `/\host`, `%2F`, dot segments are 404 (CVE-2018-14574).
  const location = appendSlashLocation(new URL(c.req.url))
  if (location !== null) {
    const safe = c.req.method === 'GET' || c.req.method === 'HEAD'
    return c.redirect(location, safe ? 301 : 308)
  }
  throw new ApiError(404, 'Not found.')
})
app.onError(onError)

export default {
  fetch: app.fetch,
  scheduled,
} satisfies ExportedHandler<Env>
