/**
 * @module The token endpoint, `POST /o/token/` (RFC 6749 §3.2). Checks run in this order:
 * form and duplicate parameters → grant type → client authentication → the grant's own checks.
 */
import { Hono, type Context } from 'hono'
import type { AppEnv } from '../env'
import { readSettings } from '../config'
import { NO_STORE, OAuthError } from '../errors'
import { authenticateClient, readClientCredentials } from '../auth/client-auth'
import { readOAuthForm } from '../oauth/form'
import type { Application } from '../oauth/store/applications'
import { passwordGrant } from '../oauth/grants/password'
import { refreshTokenGrant } from '../oauth/grants/refresh-token'
import { clientCredentialsGrant } from '../oauth/grants/client-credentials'
import { authorizationCodeGrant } from '../oauth/grants/authorization-code'
import type { TokenResponse } from '../oauth/issue'

type Grant = (c: Context<AppEnv>, form: URLSearchParams, app: Application) => Promise<{ response: TokenResponse }>

const GRANTS: Record<string, Grant> = {
  password: passwordGrant,
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
  authorization_code: authorizationCodeGrant,
}

function grantFor(c: Context<AppEnv>, grantType: string | null): Grant {
  const grant = grantType && Object.hasOwn(GRANTS, grantType) ? GRANTS[grantType] : undefined
  // RFC 9700 §2.4 discourages the password grant: a deployment can switch it off entirely.
  if (!grant || (grantType === 'password' && !readSettings(c.env).passwordGrantEnabled)) {
    throw new OAuthError('unsupported_grant_type')
  }
  return grant
}

export const tokenRoutes = new Hono<AppEnv>()

tokenRoutes.post('/o/token/', async function tokenEndpoint(c) {
  const form = await readOAuthForm(c)
  const grant = grantFor(c, form.get('grant_type'))
  const app = await authenticateClient(c, readClientCredentials(c, form))
  const { response } = await grant(c, form, app)
  return c.json(response, 200, NO_STORE)
})

// §3.2: the client MUST use POST.
tokenRoutes.all('/o/token/', (c) => c.body(null, 405, { ...NO_STORE, Allow: 'POST' }))
