/** @module What every API view shares: DRF's `Allow` header, 405 body and OPTIONS answer. */
import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { ApiError } from '../errors'
import { bearerAuth } from '../auth/bearer'
import { apiResourceUri } from '../oauth/resources'

/**
 * The API's bearer check: a token for another resource (RFC 8707) is refused like an invalid one.
 * Every API route checks the token's user in D1 (requireUser, then src/auth/active-user.ts), so a
 * user's JWT costs no storage for itself: its grant is checked in that same statement.
 */
export const apiBearerAuth = () => bearerAuth({ audience: apiResourceUri, grantInD1: true })

/** Sets `Allow` on every response of the view, errors included, as DRF does. */
export const allowMethods = (methods: string) =>
  createMiddleware<AppEnv>(async function allowMethods(c, next) {
    await next()
    c.res.headers.set('Allow', methods)
  })

/** DRF's answer to a method the view does not have (after authentication and permissions). */
export function methodNotAllowed(c: Context<AppEnv>): never {
  throw new ApiError(405, `Method "${c.req.method}" not allowed.`)
}

/** DRF's OPTIONS metadata, without the browsable API's forms. */
export const viewMetadata = (name: string) => (c: Context<AppEnv>) =>
  c.json({
    name,
    description: '',
    renders: ['application/json'],
    parses: ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'],
  })
