/** @module The client credentials grant (RFC 6749 §4.4): a token for the client itself. */
import { issueClientToken } from '../tokens/service'
import { formatScope, scopeNames } from '../oauth/scopes'
import { accessTarget, resolveResources, scopeRules, scopesForResources } from '../oauth/resources'
import { defineGrant } from './grant'

export const clientCredentialsGrant = defineGrant({
  required: [],
  applicationGrantTypes: ['client-credentials'],
  // §4.4: only confidential clients may use this grant.
  clientTypes: ['confidential'],
  async issue({ deps, form, app, resources, apiUri }) {
    const requested = scopeNames(form.get('scope'))
    const targets = await resolveResources(deps.db, apiUri, resources)
    const scope = formatScope(scopesForResources(requested, scopeRules('client_credentials', targets, app)))
    return issueClientToken(deps, app, scope, accessTarget(targets, apiUri, deps.settings))
  },
})
