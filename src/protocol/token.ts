/**
 * @module The token endpoint, `POST /o/token/` (RFC 6749 §3.2). Checks run in this order:
 * form and duplicate parameters → grant type → client authentication → the grant's required
 * parameters → whether the client may use the grant → `resource` well-formed (RFC 8707) → the grant's own checks.
 */
import { Hono } from 'hono'
import type { AppEnv } from '../env'
import { NO_STORE } from '../errors'
import { authenticateClient, readClientCredentials } from '../auth/client-auth'
import { tokenDepsFor } from '../tokens/deps'
import { readOAuthForm } from '../oauth/form'
import { issuerUrl } from '../oauth/issuer'
import { apiResourceUri, readResourceParams } from '../oauth/resources'
import { checkGrantRequest } from '../grants/grant'
import { grantFor } from '../grants/registry'

export const tokenRoutes = new Hono<AppEnv>()

tokenRoutes.post('/o/token/', async function tokenEndpoint(c) {
  const form = await readOAuthForm(c)
  const deps = tokenDepsFor(c.env, c.get('db'), issuerUrl(c))
  const grant = grantFor(form.get('grant_type'), deps.settings)
  const app = await authenticateClient(c, readClientCredentials(c, form))
  const params = checkGrantRequest(grant, form, app)
  // RFC 8707 §2: every grant takes `resource`; malformed or too many is refused before any lookup.
  const resources = readResourceParams(form)
  const response = await grant.issue({ c, deps, form, app, params, resources, apiUri: apiResourceUri(c) })
  return c.json(response, 200, NO_STORE)
})

// §3.2: the client MUST use POST.
tokenRoutes.all('/o/token/', (c) => c.body(null, 405, { ...NO_STORE, Allow: 'POST' }))
