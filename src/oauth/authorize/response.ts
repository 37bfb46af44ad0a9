/**
 * @module The authorization response (RFC 6749 §4.1.2): issuing the code, and the redirect that
 * carries it, or an error (§4.1.2.1), back to the client. The page that asks for consent is the
 * web surface's (src/web/authorize.ts); this is what it answers the client with.
 */
import type { Context } from 'hono'
import type { AppEnv } from '../../env'
import { readSettings } from '../../config'
import type { OAuthError } from '../../errors'
import { log } from '../../log'
import { randomToken, sha256Hex } from '../../crypto/token'
import { formatScope } from '../scopes'
import { apiResourceUri, resourceUris, storedResources } from '../resources'
import { insertCode } from '../../store/codes'
import { systemClock } from '../../clock'
import type { AuthorizationRequest } from './steps'

/** The client's redirect URI with the response parameters, `state` and `iss` (§4.1.2, RFC 9207). */
export function clientRedirectUrl(
  issuer: string,
  redirectUri: string,
  state: string | null,
  params: Record<string, string>,
): string {
  const url = new URL(redirectUri)
  for (const [name, value] of Object.entries(params)) url.searchParams.append(name, value)
  if (state !== null) url.searchParams.append('state', state)
  url.searchParams.append('iss', issuer)
  return url.toString()
}

/** An error's parameters in the redirect (§4.1.2.1). */
export function errorParams(err: OAuthError): Record<string, string> {
  const params: Record<string, string> = { error: err.code }
  if (err.description) params.error_description = err.description
  return params
}

/** Who approved the request, and when they signed in (the id_token's `auth_time`). */
export type Approval = { userId: number; authTime: number }

/**
 * §4.1.2: a random, single-use code for the approved request, stored by digest, valid for
 * AUTHORIZATION_CODE_EXPIRE_SECONDS. Returns the code, to send in the redirect only.
 */
export async function issueCode(c: Context<AppEnv>, request: AuthorizationRequest, approval: Approval) {
  const code = randomToken()
  await insertCode(c.get('db'), {
    codeHash: sha256Hex(code),
    applicationId: request.app.id,
    userId: approval.userId,
    redirectUri: request.sentRedirectUri,
    scope: formatScope(request.scopes),
    resources: storedResources(resourceUris(request.resources, apiResourceUri(c))),
    codeChallenge: request.codeChallenge,
    codeChallengeMethod: request.codeChallengeMethod,
    nonce: request.nonce,
    authTime: approval.authTime,
    expiresAt: systemClock.now() + readSettings(c.env).authorizationCodeExpireSeconds,
  })
  log(c, 'info', { event: 'code_issued', applicationId: request.app.id, userId: approval.userId })
  return code
}
