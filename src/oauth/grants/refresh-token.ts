/** @module The refresh token grant (RFC 6749 §6), with rotation and reuse detection (RFC 9700 §4.14.2). */
import type { Context } from 'hono'
import type { AppEnv } from '../../env'
import { OAuthError } from '../../errors'
import { sha256Hex } from '../../crypto/token'
import { requireParam } from '../form'
import { formatScope, parseScope } from '../scopes'
import { rotateRefreshToken } from '../issue'
import type { Application } from '../store/applications'
import { readRefreshTokenByHash } from '../store/tokens'

export async function refreshTokenGrant(c: Context<AppEnv>, form: URLSearchParams, app: Application) {
  const token = requireParam(form, 'refresh_token', 'Missing refresh token parameter.')
  if (app.authorizationGrantType === 'client-credentials') throw new OAuthError('unauthorized_client')
  const requested = parseScope(form.get('scope'), 'refresh_token')
  const hash = sha256Hex(token)
  const info = await readRefreshTokenByHash(c.env.TOKENS, hash)
  // §10.4: a refresh token is bound to the client it was issued to.
  if (info === null || info === 'expired' || info.applicationId !== app.id) throw new OAuthError('invalid_grant')
  return rotateRefreshToken(c, app, { hash, info }, requested && formatScope(requested))
}
