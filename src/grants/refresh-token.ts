/** @module The refresh token grant (RFC 6749 §6), with rotation and reuse detection (RFC 9700 §4.14.2). */
import { readClientRefreshToken, rotateRefreshToken } from '../tokens/service'
import { formatScope, parseScope } from '../oauth/scopes'
import { defineGrant } from './grant'

export const refreshTokenGrant = defineGrant({
  required: [{ name: 'refresh_token', message: 'Missing refresh token parameter.' }],
  // Only the grants that issue refresh tokens (client_credentials does not, §4.4.3).
  applicationGrantTypes: ['authorization-code', 'password'],
  clientTypes: ['confidential', 'public'],
  async issue({ deps, form, app, params }) {
    const requested = parseScope(form.get('scope'), 'refresh_token')
    const presented = await readClientRefreshToken(deps, app, params.refresh_token)
    return rotateRefreshToken(deps, app, presented, requested && formatScope(requested))
  },
})
