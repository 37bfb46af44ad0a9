/**
 * @module The token service: issuing, rotating, finding and revoking tokens, from plain inputs
 * (TokenDeps) to plain results, so a route, the admin CLI or the cron call the same code. Write
 * order is chosen so that a storage failure part-way never leaves a token valid that the client
 * did not receive, nor a refresh token consumed without its replacement stored.
 */
import { newSecret, randomToken, sha256Hex } from '../crypto/token'
import { OAuthError } from '../errors'
import { isSubset } from '../oauth/scopes'
import type { Application } from '../store/applications'
import {
  type ClientClaim,
  type FamilyWithUser,
  insertFamily,
  isCurrentFamilyAccess,
  markFamilyRevoked,
  type NewFamily,
  type RotationRequest,
  rotateFamily,
  rotateFamilyForClient,
  unrotateFamily,
} from '../store/families'
import {
  type AccessTokenInfo,
  deleteRefreshToken,
  putRefreshToken,
  type RefreshTokenInfo,
  readRefreshTokenByHash,
} from '../store/tokens'
import type { TokenDeps } from './deps'
import type { AccessTokenId, MintedAccessToken } from './format'
import type { FoundToken } from './lookup'

/** RFC 6749 §5.1 success body, in the shape django-oauth-toolkit answers. */
export type TokenResponse = {
  access_token: string
  token_type: 'Bearer'
  expires_in: number
  refresh_token?: string
  scope: string
  id_token?: string
}

/** Who a token acts for: a user, or (client_credentials) the client itself. */
type TokenOwner = { userId: number; username: string } | null

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

function newAccessToken(
  deps: TokenDeps,
  app: Application,
  owner: TokenOwner,
  scope: string,
  familyId: string | null,
  id?: AccessTokenId,
): MintedAccessToken {
  const iat = deps.clock.now()
  const info: AccessTokenInfo = {
    applicationId: app.id,
    clientId: app.clientId,
    userId: owner?.userId ?? null,
    username: owner?.username ?? null,
    scope,
    iat,
    exp: iat + deps.settings.accessTokenExpireSeconds,
    familyId,
  }
  return deps.accessTokens.mint(info, id)
}

/** client_credentials: an access token for the client itself, with no refresh token (RFC 6749 §4.4.3). */
export async function issueClientToken(deps: TokenDeps, app: Application, scope: string): Promise<TokenResponse> {
  const at = newAccessToken(deps, app, null, scope, null)
  // Bound to the secret that got it: a new secret ends it (isClientTokenCurrent).
  at.info.secretGeneration = app.secretGeneration
  await deps.accessTokens.store(at)
  return tokenResponse(at.token, deps.settings.accessTokenExpireSeconds, scope)
}

/** A user grant's tokens and family row, made but not yet stored. */
export type PreparedGrant = {
  family: NewFamily
  access: MintedAccessToken
  refresh: { token: string; hash: string; info: RefreshTokenInfo }
  response: TokenResponse
}

/** Makes the tokens and the family row of a new user grant; nothing is stored yet. */
export function prepareUserGrant(
  deps: TokenDeps,
  app: Application,
  owner: { userId: number; username: string },
  scope: string,
  authTime: number | null = null,
): PreparedGrant {
  const { settings } = deps
  const familyId = randomToken(16)
  const access = newAccessToken(deps, app, owner, scope, familyId)
  const { token, hash } = newSecret()
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
export async function storeUserGrant(deps: TokenDeps, grant: PreparedGrant): Promise<TokenResponse> {
  try {
    await putTokenPair(deps, grant.refresh, grant.access)
  } catch (err) {
    await markFamilyRevoked(deps.db, grant.family.id, deps.clock).catch(() => {})
    throw err
  }
  return grant.response
}

/** A new grant for a user (password grant): the family row in D1, then the tokens in KV. */
export async function issueUserTokens(
  deps: TokenDeps,
  app: Application,
  owner: { userId: number; username: string },
  scope: string,
): Promise<TokenResponse> {
  const grant = prepareUserGrant(deps, app, owner, scope)
  await insertFamily(deps.db, grant.family)
  return storeUserGrant(deps, grant)
}

/**
 * The live refresh token `token` is, if it was issued to `app` (RFC 6749 §10.4: a refresh token
 * is bound to its client); otherwise `invalid_grant`.
 */
export async function readClientRefreshToken(
  deps: TokenDeps,
  app: Application,
  token: string,
): Promise<{ hash: string; info: RefreshTokenInfo }> {
  const hash = sha256Hex(token)
  const info = await readRefreshTokenByHash(deps.kv, hash, deps.clock)
  if (info === null || info === 'expired' || info.applicationId !== app.id) throw new OAuthError('invalid_grant')
  return { hash, info }
}

/** A refresh request: the presented token, and the narrower scope asked for (null: the granted one). */
export type RefreshRequest = { token: string; scope: string | null }

/** The new tokens' secrets and digests, made before the D1 batch that records the digests. */
function nextTokens(deps: TokenDeps, request: RefreshRequest, presentedHash: string) {
  const access = deps.accessTokens.newId()
  const refresh = newSecret()
  const expiresAt = deps.clock.now() + deps.settings.refreshTokenExpireSeconds
  const rotation: RotationRequest = {
    presentedHash,
    next: { refreshHash: refresh.hash, accessHash: access.hash, expiresAt },
    scopes: request.scope?.split(' ') ?? [],
    graceSeconds: deps.settings.refreshTokenGraceSeconds,
  }
  return { access, refresh, rotation }
}

type NextTokenPair = ReturnType<typeof nextTokens>

/**
 * Refresh-token rotation (RFC 9700 §4.14.2) in one D1 round trip: the client's row, the family the
 * token belongs to and the conditional rotation, in one batch (`rotateFamilyForClient`). D1 checks
 * the claimed credential by digest so that nothing rotates for a client that is not who it says;
 * `admit` then authenticates the client from the row as every endpoint does (constant time). When
 * the batch did not rotate, the request takes `rotateRefreshToken`'s path, which says why.
 */
export async function refreshForClient(
  deps: TokenDeps,
  claim: ClientClaim,
  request: RefreshRequest,
  admit: (row: Application | undefined) => Promise<Application>,
): Promise<TokenResponse> {
  const presentedHash = sha256Hex(request.token)
  const pair = nextTokens(deps, request, presentedHash)
  const attempt = await rotateFamilyForClient(deps.db, claim, pair.rotation, deps.clock)
  let app: Application
  try {
    app = await admit(attempt.app)
  } catch (err) {
    // D1's check and `admit` agree, so this does not happen; if they ever drift apart, nothing stays rotated.
    if (attempt.rotated && attempt.before) await unrotate(deps, attempt.before, pair)
    throw err
  }
  if (attempt.rotated && attempt.before) return storeRotation(deps, app, attempt.before, request, pair)
  return rotateRefreshToken(deps, app, request, attempt.before)
}

/**
 * Refresh-token rotation (RFC 9700 §4.14.2) for an authenticated client: finds the family (from
 * `known`, else from the refresh record in KV), then D1 reads it (and its user) and moves it from the
 * old refresh token to the new one in one batch, atomically: of concurrent requests with one token
 * exactly one wins, a replayed token revokes the family, and so does a token whose user is
 * deactivated or deleted. Then the old access token is deleted, then the new tokens are stored. If
 * either KV step fails, the family is moved back, so the client can retry with the refresh token
 * it holds, and nothing it never received stays valid.
 */
export async function rotateRefreshToken(
  deps: TokenDeps,
  app: Application,
  request: RefreshRequest,
  known?: FamilyWithUser,
): Promise<TokenResponse> {
  const familyId = known?.id ?? (await readClientRefreshToken(deps, app, request.token)).info.familyId
  const presentedHash = sha256Hex(request.token)
  const pair = nextTokens(deps, request, presentedHash)
  const { before: family, rotated } = await rotateFamily(deps.db, familyId, app.id, pair.rotation, deps.clock)
  if (!rotated || !family) return refuseRotation(deps, app, family, pair.rotation)
  return storeRotation(deps, app, family, request, pair)
}

/**
 * After D1 rotated `family`: the old access token is deleted, then the new pair stored (a failed
 * delete must not leave an undelivered new token valid), then D1 re-read in case a concurrent
 * revocation or rotation ran between our batch and our writes.
 */
async function storeRotation(
  deps: TokenDeps,
  app: Application,
  family: FamilyWithUser,
  request: RefreshRequest,
  pair: NextTokenPair,
): Promise<TokenResponse> {
  const { settings, accessTokens } = deps
  const granted = request.scope ?? family.scope
  const owner = family.userId === null ? null : { userId: family.userId, username: family.username ?? '' }
  const at = newAccessToken(deps, app, owner, granted, family.id, pair.access)
  const refreshInfo: RefreshTokenInfo = {
    applicationId: app.id,
    clientId: app.clientId,
    userId: family.userId,
    username: family.username,
    familyId: family.id,
    iat: at.info.iat,
    exp: pair.rotation.next.expiresAt,
  }
  try {
    if (family.accessHash) await accessTokens.revoke(family.accessHash)
    await putTokenPair(deps, { hash: pair.refresh.hash, info: refreshInfo }, at)
  } catch (err) {
    await unrotate(deps, family, pair)
    throw err
  }
  await withdrawIfRevoked(deps, family.id, at.hash)
  return tokenResponse(at.token, settings.accessTokenExpireSeconds, granted, pair.refresh.token)
}

/** Moves a family back to the rotation columns it had before `pair`, so the client's token works again. */
function unrotate(deps: TokenDeps, before: FamilyWithUser, pair: NextTokenPair): Promise<void> {
  return unrotateFamily(deps.db, before.id, { refreshHash: pair.refresh.hash }, before)
}

/**
 * Why D1 did not rotate, from the family as the batch found it; always throws. A token of another
 * client is refused and changes nothing (RFC 6749 §10.4). A grant whose user is deactivated or
 * deleted ends: it is revoked, as the code exchange and the password grant refuse such a user. A
 * token that is not the family's current one (nor, within the grace window, the one it rotated
 * from) was used twice (replayed, or a concurrent request with it won the rotation): assume it was
 * stolen and revoke the grant (RFC 9700 §4.14.2).
 */
async function refuseRotation(
  deps: TokenDeps,
  app: Application,
  family: FamilyWithUser | undefined,
  { presentedHash, scopes, graceSeconds }: RotationRequest,
): Promise<never> {
  const now = deps.clock.now()
  if (!family || family.applicationId !== app.id || family.revokedAt !== null || family.expiresAt <= now) {
    throw new OAuthError('invalid_grant')
  }
  if (!family.userActive) {
    await revokeFamily(deps, family.id)
    throw new OAuthError('invalid_grant')
  }
  const retried =
    graceSeconds > 0 &&
    family.previousRefreshHash === presentedHash &&
    family.rotatedAt !== null &&
    family.rotatedAt >= now - graceSeconds
  if (family.refreshHash !== presentedHash && !retried) {
    await revokeFamily(deps, family.id)
    throw new OAuthError('invalid_grant')
  }
  // RFC 6749 §6: a refresh may narrow the scope, never widen it past what was granted.
  if (!isSubset(scopes, family.scope)) throw new OAuthError('invalid_scope')
  // Current, live and in scope by now, yet D1 saw it otherwise: it expired (or its window closed) in between.
  throw new OAuthError('invalid_grant')
}

/**
 * Stores a new refresh and access token side by side. If either write fails, the access token is
 * withdrawn (best effort: KV may be down) and the error rethrown; the caller then makes the
 * refresh token unusable in D1, so no token the client never received stays valid.
 */
async function putTokenPair(
  deps: TokenDeps,
  refresh: { hash: string; info: RefreshTokenInfo },
  access: MintedAccessToken,
): Promise<void> {
  const results = await Promise.allSettled([
    putRefreshToken(deps.kv, refresh.hash, refresh.info, deps.clock),
    deps.accessTokens.store(access),
  ])
  const failed = results.find((r) => r.status === 'rejected')
  if (failed) {
    await deps.accessTokens.revoke(access.hash).catch(() => {})
    throw failed.reason
  }
}

/**
 * A concurrent replay (of a refresh token or a code) may have revoked the family, and deleted its
 * access token from KV, just before this request stored the new one; within a retry grace window,
 * a concurrent retry may have rotated the family on and deleted ours the same way. Checking D1
 * after the write closes that gap: either the other request's delete came after our write, or we
 * see here that our token is no longer the family's and withdraw it. The answer stays a success:
 * to the client it is the same as being issued a token that is revoked a moment later.
 */
export async function withdrawIfRevoked(deps: TokenDeps, familyId: string, accessHash: string): Promise<void> {
  if (!(await isCurrentFamilyAccess(deps.db, familyId, accessHash))) await deps.accessTokens.revoke(accessHash)
}

/** Revokes a grant: D1 first (so no refresh can succeed), then its live tokens in KV. */
export async function revokeFamily(deps: TokenDeps, familyId: string): Promise<void> {
  const revoked = await markFamilyRevoked(deps.db, familyId, deps.clock)
  if (!revoked) return
  await Promise.all([
    revoked.accessHash ? deps.accessTokens.revoke(revoked.accessHash) : undefined,
    revoked.refreshHash ? deleteRefreshToken(deps.kv, revoked.refreshHash) : undefined,
  ])
}

/**
 * Revokes a presented token (RFC 7009 §2.1): its grant first, if it has one (D1, so the family can
 * never be refreshed again), then the presented record itself, which may be a rotated-out token
 * the family no longer points at.
 */
export async function revokeToken(deps: TokenDeps, found: FoundToken): Promise<void> {
  if (found.info.familyId) await revokeFamily(deps, found.info.familyId)
  await (found.type === 'access_token' ? deps.accessTokens.revoke(found.hash) : deleteRefreshToken(deps.kv, found.hash))
}
