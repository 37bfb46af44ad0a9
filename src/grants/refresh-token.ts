/** @module The refresh token grant (RFC 6749 §6), with rotation and reuse detection (RFC 9700 §4.14.2). */
import { readClientRefreshToken, rotateRefreshToken } from '../tokens/service'
import { formatScope, scopeNames } from '../oauth/scopes'
import { accessTarget, checkScopes, narrowResources, resolveResources, scopeRules } from '../oauth/resources'
import { defineGrant } from './grant'

export const refreshTokenGrant = defineGrant({
  required: [{ name: 'refresh_token', message: 'Missing refresh token parameter.' }],
  // Only the grants that issue refresh tokens (client_credentials does not, §4.4.3).
  applicationGrantTypes: ['authorization-code', 'password'],
  clientTypes: ['confidential', 'public'],
  async issue({ deps, form, app, params, resources, apiUri }) {
    const requested = scopeNames(form.get('scope'))
    const presented = await readClientRefreshToken(deps, app, params.refresh_token)
    // RFC 8707 §2.2: the new access token may be for fewer of the grant's resources, never others.
    // The grant's resources come with the refresh record; only registered ones cost a D1 read.
    const audience = narrowResources(presented.info.resources ?? null, resources, apiUri)
    const targets = await resolveResources(deps.db, apiUri, audience)
    // A scope asked for must suit the token's resources and the client's registration; the
    // rotation then bounds it by the grant's scope (RFC 6749 §6), so a refresh never widens it.
    checkScopes(requested, scopeRules('refresh_token', targets, app))
    const target = accessTarget(targets, apiUri, deps.settings)
    return rotateRefreshToken(deps, app, presented, requested && formatScope(requested), target)
  },
})
