/**
 * @module Permission middleware after `bearerAuth()`: DRF's IsAuthenticated and DOT's
 * TokenHasScope / TokenHasReadWriteScope.
 */
import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import type { Scope } from '../config'
import { scopeSet } from '../oauth/scopes'
import { BearerRefused } from './bearer'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * IsAuthenticated: the token must act for a user (a client_credentials token does not). The token is
 * valid but cannot enable this access, so RFC 6750 §3 still wants a challenge: 403
 * `insufficient_scope` (§3.1: "requires higher privileges"), no `scope`, as none would be enough.
 */
export const requireUser = () =>
  createMiddleware<AppEnv>(async function requireUser(c, next) {
    if (c.get('auth').userId === null) {
      throw new BearerRefused(403, {
        code: 'insufficient_scope',
        description: 'The access token does not act for a user.',
      })
    }
    await next()
  })

function checkScopes(c: Context<AppEnv>, needed: readonly Scope[]) {
  const have = scopeSet(c.get('auth').scope)
  if (!needed.every((s) => have.has(s))) {
    // RFC 6750 §3.1: 403 insufficient_scope, naming the scope that would have been enough.
    const scope = needed.join(' ')
    const description = `The access token lacks the ${scope} scope.`
    throw new BearerRefused(403, { code: 'insufficient_scope', description, scope })
  }
}

/** TokenHasScope: the token must carry every one of `scopes`. */
export const requireScopes = (...scopes: Scope[]) =>
  createMiddleware<AppEnv>(async function requireScopes(c, next) {
    checkScopes(c, scopes)
    await next()
  })

/** TokenHasReadWriteScope: `read` for safe methods, `write` for the others. */
export const readWriteScopes = () =>
  createMiddleware<AppEnv>(async function readWriteScopes(c, next) {
    checkScopes(c, [SAFE_METHODS.has(c.req.method) ? 'read' : 'write'])
    await next()
  })
