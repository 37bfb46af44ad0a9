/**
 * @module Issuing, rotating and revoking tokens. Write order is chosen so that a storage failure
 * part-way never leaves a token valid that the client did not receive, nor a refresh token
 * consumed without its replacement stored.
 */
import type { Context } from 'hono'
import type { AppEnv } from '../env'
import { readSettings } from '../config'
import { randomToken, sha256Hex } from '../crypto/token'
import type { Application } from './store/applications'
import { findFamily, insertFamily, markFamilyRevoked, rotateFamily, unrotateFamily } from './store/families'
import {
  type AccessTokenInfo,
  deleteAccessToken,
  deleteRefreshToken,
  nowSeconds,
  putAccessToken,
  putRefreshToken,
  type RefreshTokenInfo,
} from './store/tokens'
import { OAuthError } from '../errors'
import { isSubset } from './scopes'

/** RFC 6749 §5.1 success body, in the shape django-oauth-toolkit answers. */
export type TokenResponse = {
  access_token: string
  token_type: 'Bearer'
  expires_in: number
  refresh_token?: string
  scope: string
  id_token?: string
}

export type TokenOwner = { userId: number; username: string } | null

/** Ids of token families (grants); random so they reveal nothing about how many exist. */
export const newFamilyId = () => randomToken(16)

type Issued = { response: TokenResponse; familyId: string | null }

const tokenResponse = (accessToken: string, expiresIn: number, scope: string, refreshToken?: string): TokenResponse => ({
  access_token: accessToken,
  token_type: 'Bearer',
  expires_in: expiresIn,
  ...(refreshToken ? { refresh_token: refreshToken } : {}),
  scope,
})

function newAccessToken(app: Application, owner: TokenOwner, scope: string, familyId: string | null, lifetime: number) {
  const token = randomToken()
  const iat = nowSeconds()
  const info: AccessTokenInfo = {
    applicationId: app.id,
    clientId: app.clientId,
    userId: owner?.userId ?? null,
    username: owner?.username ?? null,
    scope,
    iat,
    exp: iat + lifetime,
    familyId,
  }
  return { token, hash: sha256Hex(token), info }
}

/** client_credentials: an access token for the client itself, with no refresh token (RFC 6749 §4.4.3). */
export async function issueClientToken(c: Context<AppEnv>, app: Application, scope: string): Promise<Issued> {
  const { accessTokenExpireSeconds } = readSettings(c.env)
  const at = newAccessToken(app, null, scope, null, accessTokenExpireSeconds)
  await putAccessToken(c.env.TOKENS, at.hash, at.info)
  return {
    response: tokenResponse(at.token, accessTokenExpireSeconds, scope),
    familyId: null,
  }
}

/**
 * A new grant for a user: a token family row in D1, then the access and refresh tokens in KV.
 * If a KV write fails, the family is revoked, so a refresh token that did get stored is useless.
 */
export async function issueUserTokens(
  c: Context<AppEnv>,
  app: Application,
  owner: { userId: number; username: string },
  scope: string,
  options: { authTime?: number; familyId?: string } = {},
): Promise<Issued> {
  const settings = readSettings(c.env)
  const familyId = options.familyId ?? newFamilyId()
  const at = newAccessToken(app, owner, scope, familyId, settings.accessTokenExpireSeconds)
  const refreshToken = randomToken()
  const refreshHash = sha256Hex(refreshToken)
  const refreshExp = at.info.iat + settings.refreshTokenExpireSeconds
  await insertFamily(c.var.db, {
    id: familyId,
    applicationId: app.id,
    userId: owner.userId,
    scope,
    refreshHash,
    accessHash: at.hash,
    authTime: options.authTime ?? null,
    expiresAt: refreshExp,
  })
  const refreshInfo: RefreshTokenInfo = {
    applicationId: app.id,
    clientId: app.clientId,
    userId: owner.userId,
    username: owner.username,
    familyId,
    iat: at.info.iat,
    exp: refreshExp,
  }
  try {
    await putTokenPair(c.env.TOKENS, { hash: refreshHash, info: refreshInfo }, at)
  } catch (err) {
    await markFamilyRevoked(c.var.db, familyId).catch(() => {})
    throw err
  }
  return {
    response: tokenResponse(at.token, settings.accessTokenExpireSeconds, scope, refreshToken),
    familyId,
  }
}

/**
 * Refresh-token rotation (RFC 9700 §4.14.2). D1 first moves the family from the old refresh token
 * to the new one, atomically: of concurrent requests with one token exactly one wins, and a
 * replayed token revokes the family. Then the old access token is deleted, then the new tokens are
 * stored. If either KV step fails, the family is moved back, so the client can retry with the
 * refresh token it holds, and nothing it never received stays valid.
 */
export async function rotateRefreshToken(
  c: Context<AppEnv>,
  app: Application,
  presented: { hash: string; info: RefreshTokenInfo },
  scope: string | null,
): Promise<Issued> {
  const settings = readSettings(c.env)
  const { db } = c.var
  const kv = c.env.TOKENS
  const family = await findFamily(db, presented.info.familyId)
  if (!family || family.revokedAt !== null || family.expiresAt <= nowSeconds()) {
    throw new OAuthError('invalid_grant')
  }
  if (family.refreshHash !== presented.hash) {
    // An already-rotated refresh token was presented again: assume it was stolen.
    await revokeFamily(c, family.id)
    throw new OAuthError('invalid_grant')
  }
  // RFC 6749 §6: a refresh may narrow the scope, never widen it past what was granted.
  if (scope !== null && !isSubset(scope.split(' '), family.scope)) throw new OAuthError('invalid_scope')
  const granted = scope ?? family.scope
  const owner = presented.info.userId === null ? null : { userId: presented.info.userId, username: presented.info.username ?? '' }
  const at = newAccessToken(app, owner, granted, family.id, settings.accessTokenExpireSeconds)
  const refreshToken = randomToken()
  const refreshHash = sha256Hex(refreshToken)
  const refreshExp = at.info.iat + settings.refreshTokenExpireSeconds

  if (!(await rotateFamily(db, family.id, presented.hash, { refreshHash, accessHash: at.hash, expiresAt: refreshExp }))) {
    // Another request rotated this token first: the same token was used twice.
    await revokeFamily(c, family.id)
    throw new OAuthError('invalid_grant')
  }
  try {
    if (family.accessHash) await deleteAccessToken(kv, family.accessHash)
    await putTokenPair(kv, { hash: refreshHash, info: { ...presented.info, iat: at.info.iat, exp: refreshExp } }, at)
  } catch (err) {
    await unrotateFamily(db, family.id, { refreshHash }, { refreshHash: presented.hash, accessHash: family.accessHash })
    throw err
  }
  return {
    response: tokenResponse(at.token, settings.accessTokenExpireSeconds, granted, refreshToken),
    familyId: family.id,
  }
}

/**
 * Stores a new refresh and access token side by side. If either write fails, the access token is
 * withdrawn (best effort: KV may be down) and the error rethrown; the caller then makes the
 * refresh token unusable in D1, so no token the client never received stays valid.
 */
async function putTokenPair(
  kv: KVNamespace,
  refresh: { hash: string; info: RefreshTokenInfo },
  access: { hash: string; info: AccessTokenInfo },
): Promise<void> {
  const results = await Promise.allSettled([
    putRefreshToken(kv, refresh.hash, refresh.info),
    putAccessToken(kv, access.hash, access.info),
  ])
  const failed = results.find((r) => r.status === 'rejected')
  if (failed) {
    await deleteAccessToken(kv, access.hash).catch(() => {})
    throw failed.reason
  }
}

/** Revokes a grant: D1 first (so no refresh can succeed), then its live tokens in KV. */
export async function revokeFamily(c: Context<AppEnv>, familyId: string): Promise<void> {
  const revoked = await markFamilyRevoked(c.var.db, familyId)
  if (!revoked) return
  const kv = c.env.TOKENS
  await Promise.all([
    revoked.accessHash ? deleteAccessToken(kv, revoked.accessHash) : undefined,
    revoked.refreshHash ? deleteRefreshToken(kv, revoked.refreshHash) : undefined,
  ])
}
