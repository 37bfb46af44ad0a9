/**
 * @module What the token service needs, passed in rather than read from a request: the route
 * handlers, the admin site and the cron build it from the Worker's bindings (`tokenDepsFor`); the
 * admin CLI or a device flow can build their own.
 */
import { type Clock, systemClock } from '../clock'
import { readSettings, type Settings } from '../config'
import type { Db } from '../db/client'
import type { AccessTokenFormat } from './format'
import { opaqueAccessTokens } from './opaque'

/** The storage, time, settings and access token format the token service works with. */
export type TokenDeps = {
  db: Db
  /** The TOKENS namespace: refresh token records (and, for the opaque format, access token records). */
  kv: KVNamespace
  clock: Clock
  settings: Settings
  accessTokens: AccessTokenFormat
}

/** The access token format this deployment issues and accepts. */
export const accessTokensFor = (env: Env): AccessTokenFormat => opaqueAccessTokens(env.TOKENS, systemClock)

/** The token service's dependencies from the Worker's bindings and the request's (or job's) database handle. */
export function tokenDepsFor(env: Env, db: Db): TokenDeps {
  return { db, kv: env.TOKENS, clock: systemClock, settings: readSettings(env), accessTokens: accessTokensFor(env) }
}
