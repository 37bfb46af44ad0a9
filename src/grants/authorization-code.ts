/**
 * @module The authorization code grant's exchange (RFC 6749 §4.1.3) with PKCE (RFC 7636).
 * A failed exchange burns the code; a replay of a spent code revokes the grant it was exchanged
 * for (§4.1.2, RFC 9700 §4.2.4). Spending the code and creating that grant are one transaction.
 */
import { findUser } from '../store/users'
import type { Clock } from '../clock'
import { sha256Hex } from '../crypto/token'
import { OAuthError } from '../errors'
import { signIdToken } from '../oidc/id-token'
import { signingKeys } from '../oidc/keys'
import { issuerUrl } from '../oauth/issuer'
import type { TokenDeps } from '../tokens/deps'
import { prepareUserGrant, revokeFamily, storeUserGrant } from '../tokens/service'
import { verifyS256 } from '../oauth/pkce'
import { scopeSet } from '../oauth/scopes'
import {
  type AccessTarget,
  accessTarget,
  narrowResources,
  parseStoredResources,
  type ResourceUris,
  resolveResources,
} from '../oauth/resources'
import type { Application } from '../store/applications'
import { type AuthorizationCode, burnCode, findCode, spendCodeIntoFamily } from '../store/codes'
import { defineGrant } from './grant'

/** The exchange's checks, in order; the first that fails is the answer. */
function checkExchange(
  code: AuthorizationCode,
  app: Application,
  form: URLSearchParams,
  clock: Clock,
): OAuthError | null {
  // §4.1.3: the code must have been issued to this client, and still be fresh.
  if (code.applicationId !== app.id || code.expiresAt <= clock.now()) return new OAuthError('invalid_grant')
  // §4.1.3: redirect_uri is required, and identical, when the authorization request had one.
  if (code.redirectUri !== null && form.get('redirect_uri') !== code.redirectUri) {
    return new OAuthError('invalid_grant', 'Mismatching redirect URI.')
  }
  const verifier = form.get('code_verifier')
  if (code.codeChallenge) {
    if (!verifier) return new OAuthError('invalid_request', 'Code verifier required.')
    if (!verifyS256(verifier, code.codeChallenge)) return new OAuthError('invalid_grant')
  } else if (verifier) {
    // RFC 9700 §4.8.2: a verifier for a code issued without a challenge is a downgrade attempt.
    return new OAuthError('invalid_grant')
  }
  return null
}

/**
 * The first access token's target: the code's resources, or fewer of them if the request names
 * some (RFC 8707 §2.2); `invalid_target` (as a value, so the code is burnt) for any other.
 */
async function targetOf(
  deps: TokenDeps,
  granted: ResourceUris,
  requested: ResourceUris,
  apiUri: string,
): Promise<AccessTarget | OAuthError> {
  try {
    const audience = narrowResources(granted, requested, apiUri)
    return accessTarget(await resolveResources(deps.db, apiUri, audience), apiUri, deps.settings)
  } catch (err) {
    if (err instanceof OAuthError) return err
    throw err
  }
}

async function revokeReplayed(deps: TokenDeps, codeHash: string): Promise<never> {
  const replayed = await findCode(deps.db, codeHash)
  if (replayed?.familyId) await revokeFamily(deps, replayed.familyId)
  throw new OAuthError('invalid_grant')
}

export const authorizationCodeGrant = defineGrant({
  required: [{ name: 'code', message: 'Missing code parameter.' }],
  applicationGrantTypes: ['authorization-code'],
  clientTypes: ['confidential', 'public'],
  async issue({ c, deps, form, app, params, resources, apiUri }) {
    const codeHash = sha256Hex(params.code)
    const code = await findCode(deps.db, codeHash)
    if (!code) throw new OAuthError('invalid_grant')
    if (code.usedAt !== null) return revokeReplayed(deps, codeHash)
    const user = await findUser(deps.db, code.userId)
    const granted = parseStoredResources(code.resources)
    const failure =
      checkExchange(code, app, form, deps.clock) ?? (user?.isActive ? null : new OAuthError('invalid_grant'))
    const target = failure ?? (await targetOf(deps, granted, resources, apiUri))
    if (target instanceof OAuthError) {
      await burnCode(deps.db, codeHash, deps.clock)
      throw target
    }
    const owner = { userId: user!.id, username: user!.username }
    const grantResources = { resources: granted, target }
    const grant = await prepareUserGrant(deps, app, owner, code.scope, code.authTime, grantResources)
    // OpenID Connect Core §3.1.3.3: a grant with `openid` also gets an id_token. It is signed before
    // anything is stored, so a missing signing key fails the exchange with nothing spent or stored.
    if (scopeSet(code.scope).has('openid')) {
      const signer = {
        keys: await signingKeys(c.env),
        issuer: issuerUrl(c),
        clock: deps.clock,
        settings: deps.settings,
      }
      grant.response.id_token = await signIdToken(signer, {
        userId: user!.id,
        clientId: app.clientId,
        authTime: code.authTime,
        nonce: code.nonce,
        accessToken: grant.access.token,
      })
    }
    if (!(await spendCodeIntoFamily(deps.db, codeHash, grant.family, deps.clock))) return revokeReplayed(deps, codeHash)
    // A replay of the code that revokes this grant before the write below leaves its record inert:
    // every reader of a user's access token asks D1 about the grant.
    return storeUserGrant(deps, grant)
  },
})
