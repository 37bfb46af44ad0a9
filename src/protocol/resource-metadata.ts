/**
 * @module OAuth 2.0 Protected Resource Metadata (RFC 9728) for the built-in users/groups API: what a
 * client (an MCP client, say) reads after the API's 401 to learn which authorization server to ask,
 * and for which scopes. Served at exactly the URL §3.1 derives from the API's resource URI, which
 * every 401 of the API names in `resource_metadata` (§5.1); any other path under it is a 404.
 */
import { Hono } from 'hono'
import { cors } from 'hono/cors'
import type { AppEnv } from '../env'
import { issuerUrl } from '../oauth/issuer'
import { API_NAME, API_SCOPES, apiResourceUri, resourceMetadataUrl } from '../oauth/resources'

const PREFIX = '/.well-known/oauth-protected-resource'
// A public document, as the authorization server metadata: any origin may read it.
const CACHE = { 'Cache-Control': 'public, max-age=300' }

export const resourceMetadataRoutes = new Hono<AppEnv>()

for (const path of [PREFIX, `${PREFIX}/*`]) {
  resourceMetadataRoutes.use(path, cors({ origin: '*', allowMethods: ['GET'] }))
  resourceMetadataRoutes.get(path, (c) => {
    const resource = apiResourceUri(c)
    const url = new URL(c.req.url)
    // §3.1: the path names the resource; one this server does not document is not found (no slash redirect).
    if (new URL(resourceMetadataUrl(resource)).pathname !== url.pathname) return c.body(null, 404)
    return c.json(
      {
        resource,
        authorization_servers: [issuerUrl(c)],
        // The API's own scopes only: a client asks for every scope listed here.
        scopes_supported: [...API_SCOPES],
        bearer_methods_supported: ['header'],
        resource_name: API_NAME,
      },
      200,
      CACHE,
    )
  })
}
