/** @module The client credentials grant (RFC 6749 §4.4): a token for the client itself. */
import { issueClientToken } from '../tokens/service'
import { formatScope, scopeOrDefault } from '../oauth/scopes'
import { defineGrant } from './grant'

export const clientCredentialsGrant = defineGrant({
  required: [],
  applicationGrantTypes: ['client-credentials'],
  // §4.4: only confidential clients may use this grant.
  clientTypes: ['confidential'],
  issue: ({ deps, form, app }) =>
    issueClientToken(deps, app, formatScope(scopeOrDefault(form.get('scope'), 'client_credentials'))),
})
