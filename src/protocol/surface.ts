/**
 * @module The protocol surface: the OAuth 2 and OpenID Connect endpoints clients call (token,
 * revocation, introspection, userinfo, discovery, client registration). Every error is RFC 6749 §5.2 JSON, never cached.
 */
import { Hono, type ErrorHandler } from 'hono'
import type { AppEnv } from '../env'
import { BodyTooLarge, OAuthError, oauthErrorResponse, serverFailure } from '../errors'
import type { Surface } from '../http/surface'
import { BearerRefused, bearerOAuthError } from '../auth/bearer'
import { tokenRoutes } from './token'
import { revokeRoutes } from './revoke'
import { introspectRoutes } from './introspect'
import { discoveryRoutes } from './discovery'
import { resourceMetadataRoutes } from './resource-metadata'
import { userinfoRoutes } from './userinfo'
import { registerRoutes } from './register'

const routes = new Hono<AppEnv>()
routes.route('/', tokenRoutes)
routes.route('/', revokeRoutes)
routes.route('/', introspectRoutes)
routes.route('/', discoveryRoutes)
routes.route('/', resourceMetadataRoutes)
routes.route('/', userinfoRoutes)
routes.route('/', registerRoutes)

/** Every error as RFC 6749 §5.2 JSON; one nothing expected is `server_error`, or `temporarily_unavailable` (retry). */
const onError: ErrorHandler<AppEnv> = (err, c) => {
  if (err instanceof OAuthError) return oauthErrorResponse(c, err)
  if (err instanceof BearerRefused) return oauthErrorResponse(c, bearerOAuthError(err))
  if (err instanceof BodyTooLarge) {
    return oauthErrorResponse(c, new OAuthError('invalid_request', 'Request body too large.', 413))
  }
  const { unavailable, status, headers } = serverFailure(c, err)
  const code = unavailable ? 'temporarily_unavailable' : 'server_error'
  return oauthErrorResponse(c, new OAuthError(code, 'The server could not complete the request.', status, headers))
}

/** The OAuth/OIDC protocol endpoints under /o/ and the discovery documents under /.well-known/. */
export const protocolSurface: Surface = {
  paths: [
    '/o/token/',
    '/o/revoke_token/',
    '/o/introspect/',
    '/o/userinfo/',
    '/o/register/',
    '/o/register/*',
    '/o/.well-known/*',
    '/.well-known/*',
  ],
  routes,
  onError,
}
