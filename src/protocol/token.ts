/**
 * @module The token endpoint, `POST /o/token/` (RFC 6749 §3.2). Checks run in this order:
 * form and duplicate parameters → grant type → client authentication → the grant's required
 * parameters → whether the client may use the grant → the grant's own checks.
 */
import { Hono } from 'hono'
import type { AppEnv } from '../env'
import { NO_STORE } from '../errors'
import { admitClient, readClientCredentials } from '../auth/client-auth'
import type { Application } from '../store/applications'
import { tokenDepsFor } from '../tokens/deps'
import { readOAuthForm } from '../oauth/form'
import { checkGrantRequest, readClientRow } from '../grants/grant'
import { grantFor } from '../grants/registry'

export const tokenRoutes = new Hono<AppEnv>()

tokenRoutes.post('/o/token/', async function tokenEndpoint(c) {
  const form = await readOAuthForm(c)
  const deps = tokenDepsFor(c.env, c.get('db'))
  const grant = grantFor(form.get('grant_type'), deps.settings)
  const creds = readClientCredentials(c, form)
  const admit = async (row: Application | undefined) => {
    const app = admitClient(c, row, creds)
    return { app, params: checkGrantRequest(grant, form, app) }
  }
  const response = grant.issueAdmitting
    ? await grant.issueAdmitting({ c, deps, form, creds, admit })
    : await grant.issue({ c, deps, form, ...(await admit(await readClientRow(deps.db, creds))) })
  return c.json(response, 200, NO_STORE)
})

// §3.2: the client MUST use POST.
tokenRoutes.all('/o/token/', (c) => c.body(null, 405, { ...NO_STORE, Allow: 'POST' }))
