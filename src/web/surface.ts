/**
 * @module The web surface: every page a browser shows (home, sign-in, password change, the
 * consent page at /o/authorize/, application management, authorized apps, the admin site at /admin/).
 * Every error is an HTML error page, never JSON.
 */
import { Hono, type ErrorHandler } from 'hono'
import type { AppEnv } from '../env'
import { BodyTooLarge, serverFailure } from '../errors'
import type { Surface } from '../http/surface'
import { renderError } from './views/error'
import { setPageHeaders } from './security'
import { signInRoutes } from './sign-in'
import { authorizeRoutes } from './authorize'
import { applicationRoutes } from './applications'
import { authorizedTokenRoutes } from './authorized-tokens'
import { homeRoutes } from './home'
import { adminRoutes } from './admin/index'

const routes = new Hono<AppEnv>()
routes.route('/', signInRoutes)
routes.route('/', authorizeRoutes)
routes.route('/', applicationRoutes)
routes.route('/', authorizedTokenRoutes)
routes.route('/', homeRoutes)
routes.route('/', adminRoutes)

/** Every error as the error page: a person reads it, so it says what to do next. */
const onError: ErrorHandler<AppEnv> = (err, c) => {
  // The body limit refuses before the route's pageHeaders run: every error page gets them here.
  setPageHeaders(c)
  if (err instanceof BodyTooLarge) {
    return renderError(c, 413, 'Request too large', 'The form sent was too large to read. Go back and try again.')
  }
  const { unavailable, status, headers } = serverFailure(c, err)
  for (const [name, value] of Object.entries(headers)) c.header(name, value)
  if (unavailable)
    return renderError(c, status, 'Service unavailable', 'The service is unavailable for a moment. Try again.')
  return renderError(c, status, 'Server error', 'The server could not complete the request.')
}

/** The pages: some beside the protocol endpoints under /o/, each path its own. */
export const webSurface: Surface = {
  paths: ['/', '/accounts/*', '/o/authorize/', '/o/applications/*', '/o/authorized_tokens/*', '/admin/*'],
  routes,
  onError,
}
