/** @module The refresh token grant (RFC 6749 §6), with rotation and reuse detection (RFC 9700 §4.14.2). */
import { sha256Hex } from '../crypto/token'
import { findClientRefreshGrant, refreshForClient, rotateRefreshToken } from '../tokens/service'
import { formatScope, scopeNames } from '../oauth/scopes'
import {
  accessTarget,
  checkScopes,
  narrowResources,
  parseStoredResources,
  resolveResources,
  scopeRules,
} from '../oauth/resources'
import type { ClientClaim } from '../store/families'
import type { ClientCredentials } from '../auth/client-auth'
import { defineGrant, type GrantRequest } from './grant'

const applicationGrantTypes = ['authorization-code', 'password'] as const
const clientTypes = ['confidential', 'public'] as const

/**
 * The client as D1 can check it: a secret's digest, or a public client's none. Null for what only
 * the classic path handles: a client assertion (private_key_jwt), a Client ID Metadata Document
 * (an http(s) client_id, fetched and cached by findClient), no client_id at all.
 */
function claimOf(creds: ClientCredentials): ClientClaim | null {
  if (!creds.clientId || creds.clientId.startsWith('http')) return null
  if (creds.method !== 'basic' && creds.method !== 'body' && creds.method !== 'none') return null
  const secretHash = creds.secret === null ? null : sha256Hex(creds.secret)
  return { clientId: creds.clientId, secretHash, grantTypes: applicationGrantTypes, clientTypes }
}

/**
 * The classic path, for an authenticated client: the grant the token was issued for (D1) gives the
 * grant's resources, narrowed by `resource` (RFC 8707 §2.2: fewer of them, never others) and looked
 * up (only registered ones cost a D1 read) before anything rotates.
 */
async function rotate({ deps, form, app, params, resources, apiUri }: Omit<GrantRequest<'refresh_token'>, 'c'>) {
  const requested = scopeNames(form.get('scope'))
  const grant = await findClientRefreshGrant(deps, app, params.refresh_token)
  const audience = narrowResources(parseStoredResources(grant.resources), resources, apiUri)
  const targets = await resolveResources(deps.db, apiUri, audience)
  // A scope asked for must suit the token's resources and the client's registration; the
  // rotation then bounds it by the grant's scope (RFC 6749 §6), so a refresh never widens it.
  checkScopes(requested, scopeRules('refresh_token', targets, app))
  const target = accessTarget(targets, apiUri, deps.settings)
  const request = { token: params.refresh_token, scope: requested && formatScope(requested), apiUri }
  return rotateRefreshToken(deps, app, request, grant.id, async () => target)
}

export const refreshTokenGrant = defineGrant({
  required: [{ name: 'refresh_token', message: 'Missing refresh token parameter.' }],
  // Only the grants that issue refresh tokens (client_credentials does not, §4.4.3).
  applicationGrantTypes,
  clientTypes,
  issue: rotate,
  // The usual case (a secret or a public client, neither `scope` nor `resource`) in one D1 round
  // trip: the client's row, the grant, its registered resources and the rotation in one batch. A
  // narrower scope or resource set takes the classic path, whose checks need the grant first.
  async issueAdmitting({ deps, form, apiUri, creds, admit, authenticate }) {
    const token = form.get('refresh_token')
    const claim = claimOf(creds)
    if (!token || !claim || form.has('scope') || form.has('resource')) {
      const admitted = await authenticate()
      return rotate({ deps, form, apiUri, ...admitted, params: admitted.params as Record<'refresh_token', string> })
    }
    return refreshForClient(deps, claim, { token, scope: null, apiUri }, async (row) => (await admit(row)).app)
  },
})
