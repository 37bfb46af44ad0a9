/** @module The client credentials grant (RFC 6749 §4.4): a token for the client itself. */
import { DEFAULT_SCOPES } from '../config'
import { issueClientToken } from '../tokens/service'
import { formatScope, parseScope } from '../oauth/scopes'
import { accessTarget, resolveResources, scopesForResources } from '../oauth/resources'
import { defineGrant } from './grant'

export const clientCredentialsGrant = defineGrant({
  required: [],
  applicationGrantTypes: ['client-credentials'],
  // §4.4: only confidential clients may use this grant.
  clientTypes: ['confidential'],
  async issue({ deps, form, app, resources, apiUri }) {
    const requested = parseScope(form.get('scope'), 'client_credentials')
    const targets = await resolveResources(deps.db, apiUri, resources)
    const scope = formatScope(scopesForResources(requested, DEFAULT_SCOPES, targets))
    return issueClientToken(deps, app, scope, accessTarget(targets, apiUri, deps.settings))
  },
})
