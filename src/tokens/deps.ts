/**
 * @module What the token service needs, passed in rather than read from a request: the route
 * handlers build it once per request (src/http/token-deps.ts); the admin CLI, the cron, the admin
 * site or a device flow build their own from their bindings.
 */
import type { Clock } from '../clock'
import type { Settings } from '../config'
import type { Db } from '../db/client'
import type { AccessTokenFormat } from './format'

/** The storage, time, settings and access token format the token service works with. */
export type TokenDeps = {
  db: Db
  /** The TOKENS namespace: refresh token records (and, for the opaque format, access token records). */
  kv: KVNamespace
  clock: Clock
  settings: Settings
  accessTokens: AccessTokenFormat
}
