/**
 * @module The authorization code grant's exchange (RFC 6749 §4.1.3) with PKCE (RFC 7636).
 * The code is spent before anything else is checked, so a failed exchange burns it, and a
 * replay of a spent code revokes the tokens it was exchanged for (§4.1.2, RFC 9700 §4.2.4).
 */
import type { Context } from 'hono'
import type { AppEnv } from '../../env'
import { OAuthError } from '../../errors'
import { findUser } from '../../accounts/users'
import { sha256Hex } from '../../crypto/token'
import { requireParam } from '../form'
import { issueUserTokens, newFamilyId, revokeFamily } from '../issue'
import { verifyS256 } from '../pkce'
import type { Application } from '../store/applications'
import { findCode, spendCode } from '../store/codes'
import { nowSeconds } from '../store/tokens'

export async function authorizationCodeGrant(c: Context<AppEnv>, form: URLSearchParams, app: Application) {
  const code = requireParam(form, 'code', 'Missing code parameter.')
  if (app.authorizationGrantType !== 'authorization-code') throw new OAuthError('unauthorized_client')
  const codeHash = sha256Hex(code)
  const familyId = newFamilyId()
  const spent = await spendCode(c.var.db, codeHash, familyId)
  if (!spent) {
    const replayed = await findCode(c.var.db, codeHash)
    if (replayed?.familyId) await revokeFamily(c, replayed.familyId)
    throw new OAuthError('invalid_grant')
  }
  // §4.1.3: the code must have been issued to this client, and still be fresh.
  if (spent.applicationId !== app.id || spent.expiresAt <= nowSeconds()) throw new OAuthError('invalid_grant')
  // §4.1.3: redirect_uri is required, and identical, when the authorization request had one.
  if (spent.redirectUri !== null && form.get('redirect_uri') !== spent.redirectUri) {
    throw new OAuthError('invalid_grant', 'Mismatching redirect URI.')
  }
  const verifier = form.get('code_verifier')
  if (spent.codeChallenge) {
    if (!verifier) throw new OAuthError('invalid_request', 'Code verifier required.')
    if (!verifyS256(verifier, spent.codeChallenge)) throw new OAuthError('invalid_grant')
  } else if (verifier) {
    // RFC 9700 §4.8.2: a verifier for a code issued without a challenge is a downgrade attempt.
    throw new OAuthError('invalid_grant')
  }
  const user = await findUser(c.var.db, spent.userId)
  if (!user || !user.isActive) throw new OAuthError('invalid_grant')
  return issueUserTokens(c, app, { userId: user.id, username: user.username }, spent.scope, {
    authTime: spent.authTime,
    familyId,
  })
}
