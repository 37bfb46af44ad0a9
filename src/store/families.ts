/**
 * @module Token families in D1: one row per grant, holding the digest of the one refresh token
 * that may still be used, and (retired_refresh_tokens) those it rotated out. D1 decides single use
 * atomically; KV could not (no compare-and-set, and up to 60 s stale across locations). Refresh
 * tokens live here only: D1 holds everything a refresh, a revocation or a replay needs to know.
 */
import {
  type AnyColumn,
  and,
  eq,
  exists,
  getTableColumns,
  gt,
  gte,
  inArray,
  isNull,
  ne,
  or,
  type Placeholder,
  type SQL,
  sql,
} from 'drizzle-orm'
import { batchPrepared, type Db, preparedQuery } from '../db/client'
import { applications, resources, retiredRefreshTokens, tokenFamilies, userGroups, users } from '../db/schema'
import type { Application, ClientType, GrantType } from './applications'
import type { ResourceRow } from './resources'
import type { Clock } from '../clock'

/** A statement's value: given, or (a statement prepared once) a placeholder bound per call. */
type Bound<T> = T | Placeholder

export type TokenFamily = typeof tokenFamilies.$inferSelect
export type NewFamily = typeof tokenFamilies.$inferInsert

export async function insertFamily(db: Db, family: NewFamily): Promise<void> {
  await db.insert(tokenFamilies).values(family).run()
}

/**
 * SQL: the family is the one refresh token `hash` was issued for: its current token, or one it
 * rotated out that would not have expired yet (so a replay of it is recognised, RFC 9700 §4.14.2).
 */
function issuedRefreshToken(db: Db, hash: Bound<string>, now: Bound<number>): SQL {
  const retired = db
    .select({ id: retiredRefreshTokens.familyId })
    .from(retiredRefreshTokens)
    .where(and(eq(retiredRefreshTokens.hash, hash), gt(retiredRefreshTokens.expiresAt, now)))
  return or(eq(tokenFamilies.refreshHash, hash), inArray(tokenFamilies.id, retired))!
}

/** A family as D1 has it now, with whether its user still exists and is active, and the user's name. */
export type FamilyWithUser = TokenFamily & { userActive: boolean; username: string | null }

/** The select of a family joined to its user: `userActive` is null there when the user is gone. */
const selectFamilyWithUser = (db: Db) =>
  db
    .select({ ...getTableColumns(tokenFamilies), userActive: users.isActive, username: users.username })
    .from(tokenFamilies)
    .leftJoin(users, eq(users.id, tokenFamilies.userId))

/** A user that is gone leaves the join's column null: that is not an active user either. */
const withUserActive = (
  found: (TokenFamily & { userActive: boolean | null; username: string | null }) | undefined,
): FamilyWithUser | undefined => found && { ...found, userActive: found.userActive === true }

/** A family, and whether its user is still there and active (a user deactivated by plain SQL keeps the row). */
export async function findFamily(db: Db, id: string): Promise<FamilyWithUser | undefined> {
  return withUserActive(await selectFamilyWithUser(db).where(eq(tokenFamilies.id, id)).get())
}

/** The family refresh token `hash` was issued for (issuedRefreshToken), with its user. */
export async function findFamilyByRefreshHash(db: Db, hash: string, clock: Clock): Promise<FamilyWithUser | undefined> {
  return withUserActive(
    await selectFamilyWithUser(db)
      .where(issuedRefreshToken(db, hash, clock.now()))
      .get(),
  )
}

/**
 * SQL, true unless `grantId` is given and grant `grantId` is not user `userId`'s live grant whose
 * current access token has digest `accessHash`: not revoked, not rotated on to another token, not
 * gone (a null `grantId` passes: the token's record was read from KV instead). A user's JWT is
 * read from its claims alone at the built-in API, and this, in the statement that checks the
 * user, is what refuses it once anything revokes or replaces it: every such change is made in D1.
 */
export function grantIsCurrent(
  db: Db,
  userId: AnyColumn,
  grantId: string | null | Placeholder,
  accessHash: string | null | Placeholder,
): SQL {
  const current = exists(
    db
      .select({ one: sql`1` })
      .from(tokenFamilies)
      .where(
        and(
          eq(tokenFamilies.id, grantId as string),
          eq(tokenFamilies.accessHash, accessHash as string),
          isNull(tokenFamilies.revokedAt),
          eq(tokenFamilies.userId, userId),
        ),
      ),
  )
  return or(sql`${grantId} is null`, current)!
}

/** The tokens a rotation moves a family to. */
export type NextTokens = { refreshHash: string; accessHash: string; expiresAt: number }

/** One rotation attempt's inputs. */
export type RotationRequest = {
  /** SHA-256 (hex) of the presented refresh token. */
  presentedHash: string
  next: NextTokens
  /** Each must be in the granted scope: a refresh may narrow it, never widen it (RFC 6749 §6). */
  scopes: readonly string[]
  /** For how long after a rotation the rotated-out token may rotate again (0: not at all). */
  graceSeconds: number
}

/** What one rotation attempt found and did. */
export type Rotation = {
  /** The family as it was just before the attempt (undefined if there is none). */
  before: FamilyWithUser | undefined
  /** Whether this attempt moved the family to the new tokens. */
  rotated: boolean
}

/** What a rotation's statements are built from: values, or placeholders for the prepared batch. */
type RotationValues = {
  presentedHash: Bound<string>
  next: { refreshHash: Bound<string>; accessHash: Bound<string>; expiresAt: Bound<number> }
  now: Bound<number>
  /** Rotated out at or after this, the previous token is within the grace window; null: no window. */
  graceSince: Bound<number> | null
  scopes: readonly string[]
}

const rotationValues = (
  { presentedHash, next, scopes, graceSeconds }: RotationRequest,
  now: number,
): RotationValues => ({
  presentedHash,
  next,
  now,
  graceSince: graceSeconds > 0 ? now - graceSeconds : null,
  scopes,
})

/**
 * The conditions under which a family moves from the presented refresh token to the next one: the
 * token is its current one (or, within the grace window, the one it last rotated from), it is
 * neither revoked nor expired, its user still exists and is active, and its granted scope holds
 * every requested scope. `owner` ties it to the client.
 */
function rotationWhere(db: Db, owner: SQL, { presentedHash, now, graceSince, scopes }: RotationValues) {
  const presented = eq(tokenFamilies.refreshHash, presentedHash)
  return and(
    graceSince !== null
      ? or(
          presented,
          and(eq(tokenFamilies.previousRefreshHash, presentedHash), gte(tokenFamilies.rotatedAt, graceSince)),
        )
      : presented,
    owner,
    isNull(tokenFamilies.revokedAt),
    gt(tokenFamilies.expiresAt, now),
    exists(
      db
        .select({ one: sql`1` })
        .from(users)
        .where(and(eq(users.id, tokenFamilies.userId), eq(users.isActive, true))),
    ),
    // `scope` is space-delimited: padded with spaces, it contains " name " for each scope it grants.
    ...scopes.map((name) => sql`instr(' ' || ${tokenFamilies.scope} || ' ', ${` ${name} `}) > 0`),
  )
}

/**
 * The rotation's first statement, under the same conditions as its update: the refresh token the
 * family is moving from joins the retired ones (in a retry within the grace window, that is the
 * token the first rotation issued, which the client never received).
 */
const retireCurrentRefreshToken = (db: Db, where: SQL | undefined) =>
  db
    .insert(retiredRefreshTokens)
    .select(
      db
        .select({
          hash: sql<string>`${tokenFamilies.refreshHash}`.as('hash'),
          familyId: tokenFamilies.id,
          expiresAt: tokenFamilies.expiresAt,
        })
        .from(tokenFamilies)
        .where(and(where, sql`${tokenFamilies.refreshHash} is not null`)),
    )
    .onConflictDoNothing()

/** The rotation's update: the next tokens, and the presented one kept as the previous one. */
const rotationUpdate = (db: Db, where: SQL | undefined, { presentedHash, next, now }: RotationValues) =>
  db
    .update(tokenFamilies)
    .set({
      refreshHash: next.refreshHash as string,
      accessHash: next.accessHash as string,
      expiresAt: next.expiresAt as number,
      previousRefreshHash: presentedHash as string,
      // A retry within the grace window keeps the window where the first rotation started it.
      rotatedAt: sql`case when ${tokenFamilies.refreshHash} = ${presentedHash} then ${now} else ${tokenFamilies.rotatedAt} end`,
    })
    .where(where)

/**
 * Reads a family and moves it from one refresh token to the next in one D1 batch: one round trip,
 * and one transaction, so the row read is the row the update saw. The move happens if and only if
 * the family belongs to application `applicationId` and `rotationWhere` holds. Of any number of
 * concurrent callers with the same old token, at most one gets `rotated: true` (with a grace window,
 * one at a time); `before` tells the others why not. The user is read in the same batch (joined to
 * the family): a user deactivated or deleted in D1, even by plain SQL, is seen by the very next refresh.
 */
export async function rotateFamily(
  db: Db,
  id: string,
  applicationId: number,
  request: RotationRequest,
  clock: Clock,
): Promise<Rotation> {
  const now = clock.now()
  const owner = and(eq(tokenFamilies.id, id), eq(tokenFamilies.applicationId, applicationId))!
  const values = rotationValues(request, now)
  const where = rotationWhere(db, owner, values)
  const [[found], , update] = await db.batch([
    selectFamilyWithUser(db).where(eq(tokenFamilies.id, id)),
    retireCurrentRefreshToken(db, where),
    rotationUpdate(db, where, values),
  ])
  return { before: withUserActive(found), rotated: update.meta.changes === 1 }
}

/**
 * How D1 can check a client's credential by itself: its `client_id`, and the SHA-256 of the secret
 * it presented (null: none, so only a public client qualifies). The registrations allowed to use
 * the grant are part of it, so a client that may not refresh never rotates anything.
 */
export type ClientClaim = {
  clientId: string
  secretHash: string | null
  grantTypes: readonly GrantType[]
  clientTypes: readonly ClientType[]
}

/** The application the claim's credential matches, as a subquery (no row: it matches none). */
function claimedApplicationId(db: Db, claim: ClientClaim, clientId: Bound<string>, secretHash: Bound<string>) {
  const credential =
    claim.secretHash === null
      ? eq(applications.clientType, 'public')
      : and(eq(applications.clientType, 'confidential'), eq(applications.clientSecretHash, secretHash))
  return db
    .select({ id: applications.id })
    .from(applications)
    .where(
      and(
        eq(applications.clientId, clientId),
        credential,
        inArray(applications.authorizationGrantType, [...claim.grantTypes]),
        inArray(applications.clientType, [...claim.clientTypes]),
        // A private_key_jwt client authenticates by assertion only: the classic path's.
        or(isNull(applications.tokenEndpointAuthMethod), ne(applications.tokenEndpointAuthMethod, 'private_key_jwt')),
      ),
    )
}

/**
 * SQL: the id of the family refresh token `hash` is or was the current one of (a primary-key read
 * either way). With a grace window the rotation must name it: its condition on
 * `previous_refresh_hash` (no index) would otherwise have D1 scan every grant of the client.
 */
const familyOf = (db: Db, hash: Bound<string>) => {
  const current = db.select({ id: tokenFamilies.id }).from(tokenFamilies).where(eq(tokenFamilies.refreshHash, hash))
  const retired = db
    .select({ id: retiredRefreshTokens.familyId })
    .from(retiredRefreshTokens)
    .where(eq(retiredRefreshTokens.hash, hash))
  return sql<string>`coalesce((${current}), (${retired}))`
}

/** What the refresh grant's one D1 batch found and did. */
export type ClaimedRotation = Rotation & {
  /** The client's row, for authenticating it (undefined: no such client_id). */
  app: Application | undefined
  /** The registered resources (RFC 8707) among the grant's, for its new access token. */
  resources: ResourceRow[]
}

const P = sql.placeholder

/**
 * The refresh's batch, built once per client and shape (a public client or a secret, a grace
 * window or none, the grant and client types allowed) and `.prepare()`d, its values bound per
 * call: building its five statements' SQL was ~1/8 of a refresh's CPU (npm run bench:profile).
 */
function prepareClaimedRotation(db: Db, claim: ClientClaim, grace: boolean) {
  const values: RotationValues = {
    presentedHash: P('presentedHash'),
    next: { refreshHash: P('refreshHash'), accessHash: P('accessHash'), expiresAt: P('expiresAt') },
    now: P('now'),
    graceSince: grace ? P('graceSince') : null,
    scopes: [],
  }
  const owner = and(
    eq(tokenFamilies.applicationId, claimedApplicationId(db, claim, P('clientId'), P('secretHash'))),
    grace ? eq(tokenFamilies.id, familyOf(db, values.presentedHash)) : undefined,
  )!
  const presented = issuedRefreshToken(db, values.presentedHash, values.now)
  const where = rotationWhere(db, owner, values)
  const granted = db.select({ uris: tokenFamilies.resources }).from(tokenFamilies).where(presented).limit(1)
  return [
    db
      .select()
      .from(applications)
      .where(eq(applications.clientId, P('clientId')))
      .prepare(),
    selectFamilyWithUser(db).where(presented).prepare(),
    // `resources` is space-separated: padded with spaces, it contains " uri " for each resource.
    db
      .select()
      .from(resources)
      .where(sql`instr(' ' || coalesce((${granted}), '') || ' ', ' ' || ${resources.uri} || ' ') > 0`)
      .prepare(),
    retireCurrentRefreshToken(db, where).prepare(),
    rotationUpdate(db, where, values).prepare(),
  ] as const
}

const claimedRotations = preparedQuery(() => new Map<string, ReturnType<typeof prepareClaimedRotation>>())

function claimedRotation(db: Db, claim: ClientClaim, grace: boolean) {
  const shapes = claimedRotations(db)
  const shape = JSON.stringify([claim.secretHash === null, grace, claim.grantTypes, claim.clientTypes])
  const batch = shapes.get(shape) ?? prepareClaimedRotation(db, claim, grace)
  shapes.set(shape, batch)
  return batch
}

/**
 * The refresh grant's one D1 round trip, one transaction: the client's row, the family the presented
 * token was issued for (its current or a retired refresh token) with its user, the registered
 * resources its `resources` names (a table of a few rows, so a scan is cheap), and the rotation
 * (the old token retired, the family moved on), conditional on `rotationWhere` and on the claimed
 * client's credential (compared by digest; the caller still authenticates the client from the
 * row, in constant time, before using the result). The request narrows no scope: a `scope` takes
 * the classic path. `rotated: false` says nothing about why: the caller learns that from `before`.
 */
export async function rotateFamilyForClient(
  db: Db,
  claim: ClientClaim,
  request: RotationRequest,
  clock: Clock,
): Promise<ClaimedRotation> {
  if (request.scopes.length > 0) throw new Error('rotateFamilyForClient: a narrower scope takes the classic path')
  const now = clock.now()
  const { presentedHash, next, graceSeconds } = request
  const values = {
    clientId: claim.clientId,
    secretHash: claim.secretHash,
    presentedHash,
    ...next,
    now,
    graceSince: now - graceSeconds,
  }
  const results = await batchPrepared(db, claimedRotation(db, claim, graceSeconds > 0), values)
  const [[app], [found], registered, , update] = results as [
    Application[],
    (TokenFamily & { userActive: boolean | null; username: string | null })[],
    ResourceRow[],
    unknown,
    D1Result,
  ]
  return { app, before: withUserActive(found), resources: registered, rotated: update.meta.changes === 1 }
}

/** Undoes a rotation whose new tokens could not be stored: the family's rotation columns as they were. */
export async function unrotateFamily(
  db: Db,
  id: string,
  from: { refreshHash: string },
  to: Pick<TokenFamily, 'refreshHash' | 'accessHash' | 'previousRefreshHash' | 'rotatedAt' | 'expiresAt'>,
) {
  await db
    .update(tokenFamilies)
    .set(to)
    .where(and(eq(tokenFamilies.id, id), eq(tokenFamilies.refreshHash, from.refreshHash)))
    .run()
}

/**
 * Marks a family revoked and returns it, for its access token's deletion from KV. With
 * `accessHash`, only while that is still the family's access token: one rotated out is no
 * longer the grant's, and revoking it (RFC 7009) must not end the tokens that replaced it.
 */
export async function markFamilyRevoked(
  db: Db,
  id: string,
  clock: Clock,
  accessHash?: string,
): Promise<TokenFamily | undefined> {
  return db
    .update(tokenFamilies)
    .set({ revokedAt: clock.now() })
    .where(
      and(
        eq(tokenFamilies.id, id),
        isNull(tokenFamilies.revokedAt),
        accessHash === undefined ? undefined : eq(tokenFamilies.accessHash, accessHash),
      ),
    )
    .returning()
    .get()
}

/**
 * Which grants to revoke at once; every condition given must hold. `membersOf` selects the grants
 * of every user in that group; `ids` names grants one by one.
 */
export type GrantSelection = {
  userId?: number
  applicationId?: number
  membersOf?: number
  /** The grants given to any application this user owns (deleting the user deletes those applications). */
  applicationOwnerId?: number
  ids?: readonly string[]
}

/** What revoking a grant leaves to delete from KV: its access token's digest. */
export type RevokedGrant = Pick<TokenFamily, 'id' | 'accessHash'>

/**
 * Marks the selected live grants revoked and returns them (`RETURNING`): a statement for a D1
 * batch, so that the revocation commits with the change that calls for it (a user deactivated,
 * an application deleted), or not at all. It must come before any delete in that batch whose
 * cascade would remove the rows it has to read.
 */
export function revokeFamiliesWhere(db: Db, selection: GrantSelection, clock: Clock) {
  const now = clock.now()
  const conditions = [
    selection.userId === undefined ? undefined : eq(tokenFamilies.userId, selection.userId),
    selection.applicationId === undefined ? undefined : eq(tokenFamilies.applicationId, selection.applicationId),
    selection.membersOf === undefined
      ? undefined
      : inArray(
          tokenFamilies.userId,
          db.select({ id: userGroups.userId }).from(userGroups).where(eq(userGroups.groupId, selection.membersOf)),
        ),
    selection.applicationOwnerId === undefined
      ? undefined
      : inArray(
          tokenFamilies.applicationId,
          db
            .select({ id: applications.id })
            .from(applications)
            .where(eq(applications.userId, selection.applicationOwnerId)),
        ),
    selection.ids === undefined
      ? undefined
      : selection.ids.length === 0
        ? sql`0`
        : inArray(tokenFamilies.id, [...selection.ids]),
  ].filter((c) => c !== undefined)
  // An empty selection would revoke every grant on the server: refuse it rather than guess.
  if (conditions.length === 0) throw new Error('revokeFamiliesWhere: empty selection')
  return db
    .update(tokenFamilies)
    .set({ revokedAt: now })
    .where(and(isNull(tokenFamilies.revokedAt), gt(tokenFamilies.expiresAt, now), ...conditions))
    .returning({ id: tokenFamilies.id, accessHash: tokenFamilies.accessHash })
}
