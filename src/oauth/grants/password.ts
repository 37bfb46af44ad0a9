/** @module The resource owner password credentials grant (RFC 6749 §4.3), as the tutorial uses it. */
import type { Context } from 'hono'
import type { AppEnv } from '../../env'
import { OAuthError } from '../../errors'
import { normalizeUsername } from '../../accounts/users'
import { checkPassword } from '../../auth/password-check'
import { requireParam } from '../form'
import { formatScope, scopeOrDefault } from '../scopes'
import { issueUserTokens } from '../issue'
import type { Application } from '../store/applications'

export async function passwordGrant(c: Context<AppEnv>, form: URLSearchParams, app: Application) {
  // Normalised before the limits and the lookup: every spelling of a name is that one account.
  const username = normalizeUsername(requireParam(form, 'username'))
  const password = requireParam(form, 'password')
  if (app.authorizationGrantType !== 'password') throw new OAuthError('unauthorized_client')
  const scope = formatScope(scopeOrDefault(form.get('scope'), 'password'))

  // §4.3.2: the server MUST protect this endpoint against brute force.
  const check = await checkPassword(c, username, password)
  if (check.outcome === 'limited') {
    throw new OAuthError('invalid_grant', 'Too many failed attempts. Try again later.', 429, {
      'Retry-After': String(check.retryAfter),
    })
  }
  if (check.outcome === 'wrong') throw new OAuthError('invalid_grant', 'Invalid credentials given.')
  const { user } = check
  return issueUserTokens(c, app, { userId: user.id, username: user.username }, scope)
}
