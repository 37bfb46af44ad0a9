/**
 * @module The grant registry: `grant_type` → handler. A new grant is one file declaring a
 * GrantHandler (./grant.ts) plus its line here.
 */
import type { Settings } from '../config'
import { OAuthError } from '../errors'
import { authorizationCodeGrant } from './authorization-code'
import { clientCredentialsGrant } from './client-credentials'
import type { GrantHandler } from './grant'
import { passwordGrant } from './password'
import { refreshTokenGrant } from './refresh-token'

/** In the order discovery lists them. */
const GRANTS: Record<string, GrantHandler> = {
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
  password: passwordGrant,
}

/** The grant types the registry holds, for discovery (`grant_types_supported`). */
export const registeredGrantTypes = (settings: Settings): string[] =>
  Object.keys(GRANTS).filter((type) => GRANTS[type]!.enabled?.(settings) ?? true)

/** The handler for `grant_type`, or `unsupported_grant_type` if there is none or it is switched off. */
export function grantFor(grantType: string | null, settings: Settings): GrantHandler {
  const grant = grantType && Object.hasOwn(GRANTS, grantType) ? GRANTS[grantType] : undefined
  if (!grant || !(grant.enabled?.(settings) ?? true)) throw new OAuthError('unsupported_grant_type')
  return grant
}
