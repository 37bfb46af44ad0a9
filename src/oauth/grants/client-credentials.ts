/** @module The client credentials grant (RFC 6749 §4.4): a token for the client itself. */
import type { Context } from 'hono'
import type { AppEnv } from '../../env'
import { OAuthError } from '../../errors'
import { formatScope, scopeOrDefault } from '../scopes'
import { issueClientToken } from '../issue'
import type { Application } from '../store/applications'

export async function clientCredentialsGrant(c: Context<AppEnv>, form: URLSearchParams, app: Application) {
  // §4.4: only confidential clients may use this grant.
  if (app.authorizationGrantType !== 'client-credentials' || app.clientType !== 'confidential') {
    throw new OAuthError('unauthorized_client')
  }
  return issueClientToken(c, app, formatScope(scopeOrDefault(form.get('scope'), 'client_credentials')))
}
