/**
 * @module What the token service needs, passed in rather than read from a request: the route
 * handlers, the admin site and the cron build it from the Worker's bindings (`tokenDepsFor`); the
 * admin CLI or a device flow can build their own.
 */
import { type Clock, systemClock } from '../clock'
import { readSettings, type Settings } from '../config'
import type { Db } from '../db/client'
import { signingKeys } from '../oidc/keys'
import type { AccessTokenFormat } from './format'
import { jwtAccessTokens, looksLikeJwt } from './jwt'
import { opaqueAccessTokens } from './opaque'

/** The storage, time, settings and access token format the token service works with. */
export type TokenDeps = {
  db: Db
  /** The TOKENS namespace: refresh token records and access token records (both formats keep one). */
  kv: KVNamespace
  clock: Clock
  settings: Settings
  accessTokens: AccessTokenFormat
}

/**
 * The access token formats this deployment issues and accepts, as one: opaque tokens, and JWTs
 * (RFC 9068) for resources that want them. A token is minted in the format `mint` is asked for and
 * read by its shape; both keep the same KV record, so storing and revoking are the same.
 * `issuer` is needed only to mint a JWT (its `iss`).
 */
export function accessTokensFor(env: Env, issuer?: string): AccessTokenFormat {
  const opaque = opaqueAccessTokens(env.TOKENS, systemClock)
  const jwt = jwtAccessTokens(env.TOKENS, systemClock, () => signingKeys(env), issuer)
  return {
    newId: opaque.newId,
    mint: (info, id, options) => (options?.format === 'jwt' ? jwt : opaque).mint(info, id, options),
    store: opaque.store,
    read: (token) => (looksLikeJwt(token) ? jwt : opaque).read(token),
    revoke: opaque.revoke,
  }
}

/**
 * The token service's dependencies from the Worker's bindings and the request's (or job's)
 * database handle; `issuer` (the request's) where JWT access tokens may be minted.
 */
export function tokenDepsFor(env: Env, db: Db, issuer?: string): TokenDeps {
  return {
    db,
    kv: env.TOKENS,
    clock: systemClock,
    settings: readSettings(env),
    accessTokens: accessTokensFor(env, issuer),
  }
}
