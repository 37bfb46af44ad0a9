/**
 * @module Token families in D1: one row per grant, holding the digest of the one refresh token
 * that may still be used. D1 decides single use atomically; KV could not (no compare-and-set,
 * and up to 60 s stale across locations).
 */
import { and, eq, exists, getTableColumns, gt, inArray, isNull, sql } from 'drizzle-orm'
import { type Db, preparedQuery } from '../db/client'
import { applications, tokenFamilies, userGroups, users } from '../db/schema'
import type { Clock } from '../clock'

export type TokenFamily = typeof tokenFamilies.$inferSelect
export type NewFamily = typeof tokenFamilies.$inferInsert

export async function insertFamily(db: Db, family: NewFamily): Promise<void> {
  await db.insert(tokenFamilies).values(family).run()
}

/** A family as D1 has it now, with whether its user still exists and is active. */
export type FamilyWithUser = TokenFamily & { userActive: boolean }

/** The select of a family joined to its user: `userActive` is null there when the user is gone. */
const selectFamilyWithUser = (db: Db, id: string) =>
  db
    .select({ ...getTableColumns(tokenFamilies), userActive: users.isActive })
    .from(tokenFamilies)
    .leftJoin(users, eq(users.id, tokenFamilies.userId))
    .where(eq(tokenFamilies.id, id))

/** A user that is gone leaves the join's column null: that is not an active user either. */
const withUserActive = (
  found: (TokenFamily & { userActive: boolean | null }) | undefined,
): FamilyWithUser | undefined => found && { ...found, userActive: found.userActive === true }

/** A family, and whether its user is still there and active (a user deactivated by plain SQL keeps the row). */
export async function findFamily(db: Db, id: string): Promise<FamilyWithUser | undefined> {
  return withUserActive(await selectFamilyWithUser(db, id).get())
}

// Prepared once: every refresh and code exchange re-reads this after storing its tokens.
const revokedAtById = preparedQuery((db) =>
  db
    .select({ revokedAt: tokenFamilies.revokedAt })
    .from(tokenFamilies)
    .where(eq(tokenFamilies.id, sql.placeholder('id')))
    .prepare(),
)

/** Whether the family is revoked (or gone: cleanup removes revoked rows after a while). */
export async function isFamilyRevoked(db: Db, id: string): Promise<boolean> {
  const row = await revokedAtById(db).get({ id })
  return !row || row.revokedAt !== null
}

/** What one rotation attempt found and did. */
export type Rotation = {
  /** The family as it was just before the attempt (undefined if there is none). */
  before: FamilyWithUser | undefined
  /** Whether this attempt moved the family to the new tokens. */
  rotated: boolean
}

/**
 * Reads a family and moves it from one refresh token to the next in one D1 batch: one round trip,
 * and one transaction, so the row read is the row the update saw. The move happens if and only
 * if `oldRefreshHash` is still its current refresh token, it is neither revoked nor expired, its
 * user still exists and is active, and its granted scope holds every one of `scopes` (RFC 6749
 * §6: a refresh may narrow the scope, never widen it). Of any number of concurrent callers with
 * the same old token, at most one gets `rotated: true`; `before` tells the others why not.
 * The user is read in the same batch (joined to the family) rather than in a round trip of its
 * own: a user deactivated or deleted in D1, even by plain SQL, is seen by the very next refresh.
 */
export async function rotateFamily(
  db: Db,
  id: string,
  oldRefreshHash: string,
  next: { refreshHash: string; accessHash: string; expiresAt: number },
  scopes: readonly string[],
  clock: Clock,
): Promise<Rotation> {
  const now = clock.now()
  const [[found], update] = await db.batch([
    selectFamilyWithUser(db, id),
    db
      .update(tokenFamilies)
      .set(next)
      .where(
        and(
          eq(tokenFamilies.id, id),
          eq(tokenFamilies.refreshHash, oldRefreshHash),
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
        ),
      ),
  ])
  return { before: withUserActive(found), rotated: update.meta.changes === 1 }
}

/** Undoes a rotation whose new tokens could not be stored, so the old refresh token works again. */
export async function unrotateFamily(
  db: Db,
  id: string,
  from: { refreshHash: string },
  to: { refreshHash: string; accessHash: string | null },
) {
  await db
    .update(tokenFamilies)
    .set(to)
    .where(and(eq(tokenFamilies.id, id), eq(tokenFamilies.refreshHash, from.refreshHash)))
    .run()
}

/** Marks a family revoked and returns the digests of its live tokens, for deletion from KV. */
export async function markFamilyRevoked(db: Db, id: string, clock: Clock): Promise<TokenFamily | undefined> {
  return db
    .update(tokenFamilies)
    .set({ revokedAt: clock.now() })
    .where(and(eq(tokenFamilies.id, id), isNull(tokenFamilies.revokedAt)))
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

/** What revoking a grant leaves to delete from KV: the digests of its live tokens. */
export type RevokedGrant = Pick<TokenFamily, 'id' | 'accessHash' | 'refreshHash'>

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
    .returning({ id: tokenFamilies.id, accessHash: tokenFamilies.accessHash, refreshHash: tokenFamilies.refreshHash })
}
