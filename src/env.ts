/** @module The typed Hono environment every sub-app shares. */
import type { Db } from './db/client'

export type Bindings = Env

declare global {
  namespace Cloudflare {
    interface Env {
      /**
       * A seam for tests: what fetches Client ID Metadata Documents and jwks_uri documents
       * (src/oauth/document-fetch.ts) instead of the global fetch. Never set in a deployment.
       */
      DOCUMENT_FETCHER?: { fetch: typeof fetch }
    }
  }
}

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
