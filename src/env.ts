/** @module The typed Hono environment every sub-app shares. */
import type { Db } from './db/client'
import type { AccessTokenInfo } from './oauth/store/tokens'
import type { Application } from './oauth/store/applications'
import type { Session } from './web/session'

export type Bindings = Env

/**
 * Read with `c.get('db')`, not `c.var.db`: Hono's `c.var` builds a new object from every variable
 * on each access, which was ~2% of a refresh's CPU (npm run bench:profile).
 */
export type Variables = {
  db: Db
  /** Set by the bearer middleware for a valid access token. */
  auth: AccessTokenInfo
  /** Set by authenticateClient for the client that authenticated (token, revoke, introspect). */
  client: Application
  /** Set by loadSession on the pages: the signed-in browser session, or null. */
  session: Session | null
  /** Per-request id, echoed as `X-Request-Id` and in every log line. */
  requestId: string
}

export type AppEnv = { Bindings: Bindings; Variables: Variables }
