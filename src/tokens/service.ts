/**
 * @module The token service: issuing, rotating, finding and revoking tokens, from plain inputs
 * (TokenDeps) to plain results, so a route, the admin CLI or the cron call the same code. Write
 * order is chosen so that a storage failure part-way never leaves a token valid that the client
 * did not receive, nor a refresh token consumed without its replacement stored.
 */
import { newSecret, randomToken, sha256Hex } from '../crypto/token'
import { OAuthError } from '../errors'
import { isSubset } from '../oauth/scopes'
import { registeredScopes } from '../oauth/client-metadata'
import {
  type AccessTarget,
  accessTarget,
  parseStoredResources,
  type ResourceUris,
  resolveResources,
  resourcesFromRows,
  storedResources,
} from '../oauth/resources'
import type { ResourceRow } from '../store/resources'
import type { Application } from '../store/applications'
import {
  type ClientClaim,
  type FamilyWithUser,
  findFamilyByRefreshHash,
  insertFamily,
  markFamilyRevoked,
  type NewFamily,
  type RotationRequest,
  rotateFamily,
  rotateFamilyForClient,
  unrotateFamily,
} from '../store/families'
import type { AccessTokenInfo } from '../store/tokens'
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

/** A token for the built-in API alone, in today's format and lifetime: what a request without `resource` gets. */
export const defaultTarget = (deps: TokenDeps): AccessTarget => ({
  aud: null,
  format: 'opaque',
  expiresIn: deps.settings.accessTokenExpireSeconds,
})

/** Who gets an access token, for what, and (JWT `auth_time`) when its user signed in. */
type AccessGrant = {
  owner: TokenOwner
  scope: string
  familyId: string | null
  target: AccessTarget
  authTime?: number | null
  /** client_credentials only: the application's secret generation (isClientTokenCurrent). */
  secretGeneration?: number
}

function newAccessToken(deps: TokenDeps, app: Application, grant: AccessGrant, id?: AccessTokenId) {
  const iat = deps.clock.now()
  const info: AccessTokenInfo = {
    applicationId: app.id,
    clientId: app.clientId,
    userId: grant.owner?.userId ?? null,
    username: grant.owner?.username ?? null,
    scope: grant.scope,
    iat,
    exp: iat + grant.target.expiresIn,
    familyId: grant.familyId,
    // RFC 8707: the audience, carried in the record the bearer check reads anyway (no extra round trip).
    ...(grant.target.aud && { aud: [...grant.target.aud] }),
    ...(grant.secretGeneration !== undefined && { secretGeneration: grant.secretGeneration }),
  }
  return deps.accessTokens.mint(info, id, { format: grant.target.format, authTime: grant.authTime ?? null })
}

/** client_credentials: an access token for the client itself, with no refresh token (RFC 6749 §4.4.3). */
export async function issueClientToken(
  deps: TokenDeps,
  app: Application,
  scope: string,
  target: AccessTarget = defaultTarget(deps),
): Promise<TokenResponse> {
  // Bound to the secret that got it: a new secret ends it (isClientTokenCurrent).
  const grant = { owner: null, scope, familyId: null, target, secretGeneration: app.secretGeneration }
  const at = await newAccessToken(deps, app, grant)
  await deps.accessTokens.store(at)
  return tokenResponse(at.token, target.expiresIn, scope)
}

/** A user grant's tokens and family row, made but not yet stored. */
export type PreparedGrant = {
  family: NewFamily
  access: MintedAccessToken
  response: TokenResponse
}

/** What a new user grant is for: its resources (RFC 8707; null: the built-in API), and its first access token's. */
export type GrantResources = { resources: ResourceUris; target: AccessTarget }

/** Makes the tokens and the family row of a new user grant; nothing is stored yet. */
export async function prepareUserGrant(
  deps: TokenDeps,
  app: Application,
  owner: { userId: number; username: string },
  scope: string,
  authTime: number | null = null,
  { resources, target }: GrantResources = { resources: null, target: defaultTarget(deps) },
): Promise<PreparedGrant> {
  const { settings } = deps
  const familyId = randomToken(16)
  const access = await newAccessToken(deps, app, { owner, scope, familyId, target, authTime })
  // The refresh token is stored nowhere but in its family row, as its digest.
  const { token, hash } = newSecret()
  const family = {
    id: familyId,
    applicationId: app.id,
    userId: owner.userId,
    scope,
    refreshHash: hash,
    accessHash: access.hash,
    authTime,
    resources: storedResources(resources),
    expiresAt: access.info.iat + settings.refreshTokenExpireSeconds,
  }
  return { family, access, response: tokenResponse(access.token, target.expiresIn, scope, token) }
}

/**
 * Stores a prepared grant's access token in KV, once its family row is in D1. If the write fails,
 * the family is revoked, so neither token the client never received is any good.
 */
export async function storeUserGrant(deps: TokenDeps, grant: PreparedGrant): Promise<TokenResponse> {
  try {
    await deps.accessTokens.store(grant.access)
  } catch (err) {
    await markFamilyRevoked(deps.db, grant.family.id, deps.clock).catch(() => {})
    throw err
  }
  return grant.response
}

/**
 * A new grant for a user (password grant): the family row in D1, then the tokens in KV. The user
 * authenticated with this very request, so that is the grant's `auth_time` (RFC 9068 §2.2.1),
 * which its refreshes keep.
 */
export async function issueUserTokens(
  deps: TokenDeps,
  app: Application,
  owner: { userId: number; username: string },
  scope: string,
  resources?: GrantResources,
): Promise<TokenResponse> {
  const grant = await prepareUserGrant(deps, app, owner, scope, deps.clock.now(), resources)
  await insertFamily(deps.db, grant.family)
  return storeUserGrant(deps, grant)
}

/**
 * The grant refresh token `token` was issued for (its current one, or one it rotated out), if that
 * grant is `app`'s (RFC 6749 §10.4: a refresh token is bound to its client); otherwise
 * `invalid_grant`. Whether the token may still be used is the rotation's to decide.
 */
export async function findClientRefreshGrant(
  deps: TokenDeps,
  app: Application,
  token: string,
): Promise<FamilyWithUser> {
  const family = await findFamilyByRefreshHash(deps.db, sha256Hex(token), deps.clock)
  if (!family || family.applicationId !== app.id) throw new OAuthError('invalid_grant')
  return family
}

/**
 * A refresh request: the presented token, the narrower scope asked for (null: the granted one), and
 * the built-in API's resource URI (what a grant without resources is for).
 */
export type RefreshRequest = { token: string; scope: string | null; apiUri: string }

/**
 * How the new access token is made (RFC 8707 audience, format, lifetime), from the family D1 just
 * rotated; a throw undoes the rotation.
 */
export type TargetOf = (family: FamilyWithUser) => Promise<AccessTarget>

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
 * A token for every resource of the grant (no `resource` was sent, so nothing narrows them), from
 * the registered rows the batch read with it: no D1 read of its own. A resource deleted since the
 * grant is `invalid_target`, as resolveResources says.
 */
const grantTarget =
  (deps: TokenDeps, apiUri: string, rows: readonly ResourceRow[]): TargetOf =>
  async (family) => {
    const resources = resourcesFromRows(rows, apiUri, parseStoredResources(family.resources))
    return accessTarget(resources, apiUri, deps.settings)
  }

/** The same, with the registered resources read from D1 (the classic path's fallback, off the hot path). */
const lookedUpGrantTarget =
  (deps: TokenDeps, apiUri: string): TargetOf =>
  async (family) => {
    const resources = await resolveResources(deps.db, apiUri, parseStoredResources(family.resources))
    return accessTarget(resources, apiUri, deps.settings)
  }

/**
 * Refresh-token rotation (RFC 9700 §4.14.2) in one D1 round trip: the client's row, the family the
 * token belongs to, the grant's registered resources and the conditional rotation, in one batch
 * (`rotateFamilyForClient`). D1 checks the claimed credential by digest so that nothing rotates
 * for a client that is not who it says; `admit` then authenticates the client from the row as
 * every endpoint does (constant time). The new access token is for all of the grant's resources
 * (the caller takes the classic path when `resource` narrows them). When the batch did not rotate,
 * the request takes `rotateRefreshToken`'s path, which says why.
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
  if (attempt.rotated && attempt.before) {
    return storeRotation(deps, app, attempt.before, request, pair, grantTarget(deps, request.apiUri, attempt.resources))
  }
  // The batch looked the token up among every one this server issued: none is `invalid_grant`.
  if (!attempt.before) throw new OAuthError('invalid_grant')
  return rotateRefreshToken(deps, app, request, attempt.before.id, lookedUpGrantTarget(deps, request.apiUri))
}

/**
 * Refresh-token rotation (RFC 9700 §4.14.2) of family `familyId` for an authenticated client: D1
 * reads the family (and its user) and moves it from the old refresh token to the new one in one
 * batch, atomically: of concurrent requests with one token exactly one wins, a replayed token
 * revokes the family, and so does a token whose user is deactivated or deleted. Then the new
 * access token is stored. If that fails, the family is moved back, so the client can retry with
 * the refresh token it holds, and nothing it never received stays valid.
 */
export async function rotateRefreshToken(
  deps: TokenDeps,
  app: Application,
  request: RefreshRequest,
  familyId: string,
  targetOf: TargetOf,
): Promise<TokenResponse> {
  const presentedHash = sha256Hex(request.token)
  const pair = nextTokens(deps, request, presentedHash)
  const { before: family, rotated } = await rotateFamily(deps.db, familyId, app.id, pair.rotation, deps.clock)
  if (!rotated || !family) return refuseRotation(deps, app, family, pair.rotation)
  return storeRotation(deps, app, family, request, pair, targetOf)
}

/**
 * After D1 rotated `family`: the new access token's record, KV's one write. Nothing else is needed:
 * the old access token is refused by every reader from the moment the batch committed (each checks
 * the grant's current `access_hash` in D1: the API and UserInfo in their one statement,
 * introspection by reading the grant), so its record is left to its TTL; and a concurrent
 * revocation that ran between the batch and this write leaves the new record as inert as the old.
 */
async function storeRotation(
  deps: TokenDeps,
  app: Application,
  family: FamilyWithUser,
  request: RefreshRequest,
  pair: NextTokenPair,
  targetOf: TargetOf,
): Promise<TokenResponse> {
  const owner = family.userId === null ? null : { userId: family.userId, username: family.username ?? '' }
  try {
    const granted = request.scope ?? grantScopeWithinRegistration(family.scope, app)
    const target = await targetOf(family)
    const grant = { owner, scope: granted, familyId: family.id, target, authTime: family.authTime }
    const at = await newAccessToken(deps, app, grant, pair.access)
    await deps.accessTokens.store(at)
    return tokenResponse(at.token, target.expiresIn, granted, pair.refresh.token)
  } catch (err) {
    await unrotate(deps, family, pair)
    throw err
  }
}

/**
 * A refresh without `scope` gets the grant's scope (RFC 6749 §6), within what the client registers
 * now (RFC 7591 §2: the scopes it "can use when requesting access tokens"), which it may have
 * narrowed since the grant (RFC 7592 `PUT`, or its metadata document); none left is `invalid_scope`.
 * A `scope` asked for was checked against the registration already (checkScopes).
 */
function grantScopeWithinRegistration(scope: string, app: Application): string {
  const registered = registeredScopes(app)
  if (registered === null) return scope
  const kept = scope.split(' ').filter((name) => registered.has(name))
  if (kept.length === 0) throw new OAuthError('invalid_scope')
  return kept.join(' ')
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
 * Revokes a grant: D1 first (so no refresh can succeed, and no reader honours its tokens), then its
 * access token's record in KV.
 */
export async function revokeFamily(deps: TokenDeps, familyId: string): Promise<void> {
  const revoked = await markFamilyRevoked(deps.db, familyId, deps.clock)
  if (revoked) await endGrantTokens(deps, revoked)
}

/**
 * Ends the access token of a grant already marked revoked in D1 (through the format; a JWT's
 * record). Its refresh token needs nothing: it exists only as the grant's digest in D1.
 */
export async function endGrantTokens(deps: TokenDeps, grant: { accessHash: string | null }): Promise<void> {
  if (grant.accessHash) await deps.accessTokens.revoke(grant.accessHash)
}

/**
 * Revokes a presented token (RFC 7009 §2.1): a refresh token, or the current access token of a
 * grant, revokes the grant (D1, so it can never be refreshed again); an access token its grant has
 * rotated past is already refused everywhere, and revoking it leaves the grant alone. Then the
 * presented access token's own record goes.
 */
export async function revokeToken(deps: TokenDeps, found: FoundToken): Promise<void> {
  if (found.type === 'refresh_token') return revokeFamily(deps, found.info.familyId)
  // Only while it is the grant's access token, the one whose record is deleted next.
  if (found.info.familyId) await markFamilyRevoked(deps.db, found.info.familyId, deps.clock, found.hash)
  await deps.accessTokens.revoke(found.hash)
}
