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
import { userRoutes } from './api/users'
import { groupRoutes } from './api/groups'

export const app = new Hono<AppEnv>()

app.use('*', async function requestContext(c, next) {
  c.set('requestId', c.req.header('CF-Ray') ?? crypto.randomUUID())
  // Every storage call below goes through the guard: an outage answers 503, never a stack trace.
  c.env = { ...c.env, DB: guardStorage(c.env.DB), TOKENS: guardStorage(c.env.TOKENS) }
  c.set('db', createDb(c.env.DB))
  const started = Date.now()
  await next()
  c.header('X-Request-Id', c.var.requestId)
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

app.route('/', tokenRoutes)
app.route('/', userRoutes)
app.route('/', groupRoutes)

app.notFound((c) => {
  // Django's APPEND_SLASH: every route here ends in "/", so send slash-less paths there.
  const url = new URL(c.req.url)
  if (!url.pathname.endsWith('/')) {
    url.pathname += '/'
    const safe = c.req.method === 'GET' || c.req.method === 'HEAD'
    return c.redirect(url.pathname + url.search, safe ? 301 : 308)
  }
  throw new ApiError(404, 'Not found.')
})
app.onError(onError)

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>
