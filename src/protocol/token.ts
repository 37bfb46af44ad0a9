/**
 * @module The token endpoint, `POST /o/token/` (RFC 6749 §3.2). Checks run in this order:
 * form and duplicate parameters → grant type → client authentication → the grant's required
 * parameters → whether the client may use the grant → `resource` well-formed (RFC 8707) → the grant's own checks.
 */
import { Hono } from 'hono'
import type { AppEnv } from '../env'
import { NO_STORE } from '../errors'
import { systemClock } from '../clock'
import { admitClient, authenticateClient, readClientCredentials } from '../auth/client-auth'
import { type Application, noteApplicationUse } from '../store/applications'
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
  const creds = readClientCredentials(c, form)
  const apiUri = apiResourceUri(c)
  // The checks after the client's, in the module's order; RFC 8707 §2: every grant takes `resource`,
  // malformed or too many is refused before any lookup.
  const checked = (app: Application) => ({
    app,
    params: checkGrantRequest(grant, form, app),
    resources: readResourceParams(form),
  })
  const authenticate = async () => checked(await authenticateClient(c, creds))
  // A grant that read the client's row in its own round trip (the refresh grant's batch).
  const admit = async (row: Application | undefined) => {
    const app = await admitClient(c, row, creds)
    await noteApplicationUse(c.get('db'), app, systemClock.now())
    return checked(app)
  }
  const response = grant.issueAdmitting
    ? await grant.issueAdmitting({ c, deps, form, apiUri, creds, admit, authenticate })
    : await grant.issue({ c, deps, form, apiUri, ...(await authenticate()) })
  return c.json(response, 200, NO_STORE)
})

// §3.2: the client MUST use POST.
tokenRoutes.all('/o/token/', (c) => c.body(null, 405, { ...NO_STORE, Allow: 'POST' }))
