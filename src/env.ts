/** @module The typed Hono environment every sub-app shares. */
import type { Db } from './db/client'
import type { AccessTokenInfo } from './oauth/store/tokens'

export type Bindings = Env

export type Variables = {
  db: Db
  /** Set by the bearer middleware for a valid access token. */
  auth: AccessTokenInfo
  /** Per-request id, echoed as `X-Request-Id` and in every log line. */
  requestId: string
}

export type AppEnv = { Bindings: Bindings; Variables: Variables }
