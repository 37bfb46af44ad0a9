/** @module The resource owner password credentials grant (RFC 6749 §4.3), as the tutorial uses it. */
import { normalizeUsername } from '../accounts/users'
import { checkPassword } from '../auth/password-check'
import { clientIp } from '../auth/rate-limit'
import { OAuthError } from '../errors'
import { DEFAULT_SCOPES } from '../config'
import { issueUserTokens } from '../tokens/service'
import { formatScope, parseScope } from '../oauth/scopes'
import { accessTarget, resolveResources, resourceUris, scopesForResources } from '../oauth/resources'
import { defineGrant } from './grant'

export const passwordGrant = defineGrant({
  required: [{ name: 'username' }, { name: 'password' }],
  applicationGrantTypes: ['password'],
  clientTypes: ['confidential', 'public'],
  // RFC 9700 §2.4 discourages the password grant: a deployment can switch it off entirely.
  enabled: (settings) => settings.passwordGrantEnabled,
  async issue({ c, deps, form, app, params, resources, apiUri }) {
    // Normalised before the limits and the lookup: every spelling of a name is that one account.
    const username = normalizeUsername(params.username)
    const requested = parseScope(form.get('scope'), 'password')
    // Before the password check: a request refused for its resource costs no attempt.
    const targets = await resolveResources(deps.db, apiUri, resources)
    const scope = formatScope(scopesForResources(requested, DEFAULT_SCOPES, targets))

    // §4.3.2: the server MUST protect this endpoint against brute force.
    const check = await checkPassword(deps, { username, password: params.password, ip: clientIp(c) })
    if (check.outcome === 'limited') {
      throw new OAuthError('invalid_grant', 'Too many failed attempts. Try again later.', 429, {
        'Retry-After': String(check.retryAfter),
      })
    }
    if (check.outcome === 'wrong') throw new OAuthError('invalid_grant', 'Invalid credentials given.')
    const { user } = check
    const grantResources = {
      resources: resourceUris(targets, apiUri),
      target: accessTarget(targets, apiUri, deps.settings),
    }
    return issueUserTokens(deps, app, { userId: user.id, username: user.username }, scope, grantResources)
  },
})
