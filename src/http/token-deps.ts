/** @module The token service's dependencies for one request, from the Worker's bindings. */
import type { Context } from 'hono'
import { systemClock } from '../clock'
import { readSettings } from '../config'
import type { AppEnv } from '../env'
import type { TokenDeps } from '../tokens/deps'
import type { AccessTokenFormat } from '../tokens/format'
import { opaqueAccessTokens } from '../tokens/opaque'

/** The access token format this deployment issues and accepts. */
export const accessTokenFormat = (c: Context<AppEnv>): AccessTokenFormat =>
  opaqueAccessTokens(c.env.TOKENS, systemClock)

/** What the token service needs, built once per request by the route that calls it. */
export function tokenDeps(c: Context<AppEnv>): TokenDeps {
  return {
    db: c.get('db'),
    kv: c.env.TOKENS,
    clock: systemClock,
    settings: readSettings(c.env),
    accessTokens: accessTokenFormat(c),
  }
}
