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
import {
  type FamilyWithUser,
  insertFamily,
  isFamilyRevoked,
  markFamilyRevoked,
  type NewFamily,
  rotateFamily,
  unrotateFamily,
} from './store/families'
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

type Issued = { response: TokenResponse; familyId: string | null }

const tokenResponse = (
  accessToken: string,
  expiresIn: number,
  scope: string,
  refreshToken?: string,
): TokenResponse => ({
  access_token: accessToken,
  token_type: 'Bearer',
  expires_in: expiresIn,
  ...(refreshToken ? { refresh_token: refreshToken } : {}),
  scope,
})

/** A new random token and the digest it is stored under. */
function newSecret() {
  const token = randomToken()
  return { token, hash: sha256Hex(token) }
}

function newAccessToken(
  app: Application,
  owner: TokenOwner,
  scope: string,
  familyId: string | null,
  lifetime: number,
  secret = newSecret(),
) {
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
  return { ...secret, info }
}

/** client_credentials: an access token for the client itself, with no refresh token (RFC 6749 §4.4.3). */
export async function issueClientToken(c: Context<AppEnv>, app: Application, scope: string): Promise<Issued> {
  const { accessTokenExpireSeconds } = readSettings(c.env)
  const at = newAccessToken(app, null, scope, null, accessTokenExpireSeconds)
  // Bound to the secret that got it: a new secret ends it (isClientTokenCurrent).
  at.info.secretGeneration = app.secretGeneration
  await putAccessToken(c.env.TOKENS, at.hash, at.info)
  return {
    response: tokenResponse(at.token, accessTokenExpireSeconds, scope),
    familyId: null,
  }
}

/** A user grant's tokens and family row, made but not yet stored. */
export type PreparedGrant = {
  family: NewFamily
  access: ReturnType<typeof newAccessToken>
  refresh: { token: string; hash: string; info: RefreshTokenInfo }
  response: TokenResponse
}

/** Makes the tokens and the family row of a new user grant; nothing is stored yet. */
export function prepareUserGrant(
  c: Context<AppEnv>,
  app: Application,
  owner: { userId: number; username: string },
  scope: string,
  authTime: number | null = null,
): PreparedGrant {
  const settings = readSettings(c.env)
  const familyId = randomToken(16)
  const access = newAccessToken(app, owner, scope, familyId, settings.accessTokenExpireSeconds)
  const token = randomToken()
  const hash = sha256Hex(token)
  const exp = access.info.iat + settings.refreshTokenExpireSeconds
  const info: RefreshTokenInfo = {
    applicationId: app.id,
    clientId: app.clientId,
    ...owner,
    familyId,
    iat: access.info.iat,
    exp,
  }
  const family = {
    id: familyId,
    applicationId: app.id,
    userId: owner.userId,
    scope,
    refreshHash: hash,
    accessHash: access.hash,
    authTime,
    expiresAt: exp,
  }
  return {
    family,
    access,
    refresh: { token, hash, info },
    response: tokenResponse(access.token, settings.accessTokenExpireSeconds, scope, token),
  }
}

/**
 * Stores a prepared grant's tokens in KV, once its family row is in D1. If a KV write fails, the
 * family is revoked, so a refresh token that did get stored is useless.
 */
export async function storeUserGrant(c: Context<AppEnv>, grant: PreparedGrant): Promise<Issued> {
  try {
    await putTokenPair(c.env.TOKENS, grant.refresh, grant.access)
  } catch (err) {
    await markFamilyRevoked(c.get('db'), grant.family.id).catch(() => {})
    throw err
  }
  return { response: grant.response, familyId: grant.family.id }
}

/** A new grant for a user (password grant): the family row in D1, then the tokens in KV. */
export async function issueUserTokens(
  c: Context<AppEnv>,
  app: Application,
  owner: { userId: number; username: string },
  scope: string,
): Promise<Issued> {
  const grant = prepareUserGrant(c, app, owner, scope)
  await insertFamily(c.get('db'), grant.family)
  return storeUserGrant(c, grant)
}

/**
 * Refresh-token rotation (RFC 9700 §4.14.2). D1 reads the family (and its user) and moves it from
 * the old refresh token to the new one in one batch, atomically: of concurrent requests with one
 * token exactly one wins, a replayed token revokes the family, and so does a token whose user is
 * deactivated or deleted. Then the old access token is deleted, then
 * the new tokens are stored. If either KV step fails, the family is moved back, so the client can
 * retry with the refresh token it holds, and nothing it never received stays valid.
 */
export async function rotateRefreshToken(
  c: Context<AppEnv>,
  app: Application,
  presented: { hash: string; info: RefreshTokenInfo },
  scope: string | null,
): Promise<Issued> {
  const settings = readSettings(c.env)
  const db = c.get('db')
  const kv = c.env.TOKENS
  // The new tokens' digests go into the same batch that reads the family, so they are made first.
  const access = newSecret()
  const refresh = newSecret()
  const refreshExp = nowSeconds() + settings.refreshTokenExpireSeconds
  const next = { refreshHash: refresh.hash, accessHash: access.hash, expiresAt: refreshExp }
  const requested = scope?.split(' ') ?? []
  const { before: family, rotated } = await rotateFamily(db, presented.info.familyId, presented.hash, next, requested)
  if (!rotated || !family) return refuseRotation(c, family, presented.hash, requested)

  const granted = scope ?? family.scope
  const owner =
    presented.info.userId === null ? null : { userId: presented.info.userId, username: presented.info.username ?? '' }
  const at = newAccessToken(app, owner, granted, family.id, settings.accessTokenExpireSeconds, access)
  try {
    if (family.accessHash) await deleteAccessToken(kv, family.accessHash)
    await putTokenPair(kv, { hash: refresh.hash, info: { ...presented.info, iat: at.info.iat, exp: refreshExp } }, at)
  } catch (err) {
    await unrotateFamily(
      db,
      family.id,
      { refreshHash: refresh.hash },
      { refreshHash: presented.hash, accessHash: family.accessHash },
    )
    throw err
  }
  await withdrawIfRevoked(c, family.id, at.hash)
  return {
    response: tokenResponse(at.token, settings.accessTokenExpireSeconds, granted, refresh.token),
    familyId: family.id,
  }
}

/**
 * Why D1 did not rotate, from the family as the batch found it; always throws. A grant whose user
 * is deactivated or deleted ends: it is revoked, as the code exchange and the password grant
 * refuse such a user. A token that is not the family's current one was used twice (replayed, or
 * a concurrent request with it won the rotation): assume it was stolen and revoke the grant
 * (RFC 9700 §4.14.2).
 */
async function refuseRotation(
  c: Context<AppEnv>,
  family: FamilyWithUser | undefined,
  presentedHash: string,
  requested: readonly string[],
): Promise<never> {
  if (!family || family.revokedAt !== null || family.expiresAt <= nowSeconds()) throw new OAuthError('invalid_grant')
  if (!family.userActive) {
    await revokeFamily(c, family.id)
    throw new OAuthError('invalid_grant')
  }
  if (family.refreshHash !== presentedHash) {
    await revokeFamily(c, family.id)
    throw new OAuthError('invalid_grant')
  }
  // RFC 6749 §6: a refresh may narrow the scope, never widen it past what was granted.
  if (!isSubset(requested, family.scope)) throw new OAuthError('invalid_scope')
  // Current, live and in scope by now, yet D1 saw it expired: it expired in between.
  throw new OAuthError('invalid_grant')
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

/**
 * A concurrent replay (of a refresh token or a code) may have revoked the family, and deleted its
 * access token from KV, just before this request stored the new one. Checking D1 after the write
 * closes that gap: either the revoker's delete came after our write, or we see the revocation
 * here and withdraw the token. The answer stays a success: to the client it is the same as being
 * issued a token that is revoked a moment later, which is what the replay asked for.
 */
export async function withdrawIfRevoked(c: Context<AppEnv>, familyId: string, accessHash: string): Promise<void> {
  if (await isFamilyRevoked(c.get('db'), familyId)) await deleteAccessToken(c.env.TOKENS, accessHash)
}

/** Revokes a grant: D1 first (so no refresh can succeed), then its live tokens in KV. */
export async function revokeFamily(c: Context<AppEnv>, familyId: string): Promise<void> {
  const revoked = await markFamilyRevoked(c.get('db'), familyId)
  if (!revoked) return
  const kv = c.env.TOKENS
  await Promise.all([
    revoked.accessHash ? deleteAccessToken(kv, revoked.accessHash) : undefined,
    revoked.refreshHash ? deleteRefreshToken(kv, revoked.refreshHash) : undefined,
  ])
}
