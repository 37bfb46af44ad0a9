/**
 * @module Bearer token middleware (RFC 6750) for any route: one KV read, no D1 query.
 *
 * @example
 * app.get('/reports/', bearerAuth(), requireUser(), requireScopes('read'), (c) => c.json(…))
 */
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { ApiError } from '../errors'
import { readAccessToken } from '../oauth/store/tokens'

const REALM = 'realm="api"'
const NOT_PROVIDED = 'Authentication credentials were not provided.'

/** RFC 6750 §3 challenge: `Bearer realm="api"` plus any attributes, each quoted once. */
export function bearerChallenge(attributes: Record<string, string> = {}): string {
  const extra = Object.entries(attributes).map(([k, v]) => `, ${k}="${v}"`)
  return `Bearer ${REALM}${extra.join('')}`
}

const unauthorized = (attributes?: Record<string, string>) =>
  new ApiError(401, NOT_PROVIDED, { 'WWW-Authenticate': bearerChallenge(attributes) })

/** The token in `Authorization: Bearer <token>`, the scheme matched case-insensitively (RFC 7235 §2.1). */
export function readBearerToken(header: string | undefined): string | null {
  const m = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header ?? '')
  return m ? m[1]! : null
}

/**
 * Authenticates the request by its bearer token and sets `c.var.auth`. Tokens are read from the
 * Authorization header only: never from the query string (RFC 9700 §4.3.2) or the body.
 * Without credentials: 401 with a bare challenge; with an unknown, revoked or expired token:
 * 401 with `error="invalid_token"` (RFC 6750 §3.1). Bodies are DRF's.
 */
export const bearerAuth = () =>
  createMiddleware<AppEnv>(async function bearerAuth(c, next) {
    const token = readBearerToken(c.req.header('Authorization'))
    if (!token) throw unauthorized()
    const info = await readAccessToken(c.env.TOKENS, token)
    if (info === null) throw unauthorized({ error: 'invalid_token', error_description: 'The access token is invalid.' })
    if (info === 'expired') throw unauthorized({ error: 'invalid_token', error_description: 'The access token has expired.' })
    c.set('auth', info)
    await next()
  })
