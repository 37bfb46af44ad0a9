/** @module The typed Hono environment every sub-app shares. */
import type { Db } from './db/client'

export type Bindings = Env

/**
 * Read with `c.get('db')`, not `c.var.db`: Hono's `c.var` builds a new object from every variable
 * on each access, which was ~2% of a refresh's CPU (npm run bench:profile).
 */
type Variables = {
  db: Db
  /** Per-request id, echoed as `X-Request-Id` and in every log line. */
  requestId: string
}

// Middleware declares its own variables in hono's ContextVariableMap, as hono's jwt middleware does:
// `auth` (src/auth/bearer.ts), `client` (src/auth/client-auth.ts), `session` (src/web/session.ts).
export type AppEnv = { Bindings: Bindings; Variables: Variables }
