/**
 * @module The grants a user has given applications, as the pages see them: the live (neither
 * revoked nor expired) token families of that user, with the application each was given to.
 */
import { and, desc, eq, gt, isNull } from 'drizzle-orm'
import type { Db } from '../db/client'
import { applications, tokenFamilies } from '../db/schema'
import type { Clock } from '../clock'

const live = (userId: number, clock: Clock) =>
  and(eq(tokenFamilies.userId, userId), isNull(tokenFamilies.revokedAt), gt(tokenFamilies.expiresAt, clock.now()))

export type UserGrant = {
  id: string
  scope: string
  created: number
  expiresAt: number
  application: { id: number; name: string; clientId: string }
}

/** The user's live grants, newest first. */
export function listUserGrants(db: Db, userId: number, clock: Clock): Promise<UserGrant[]> {
  return db
    .select({
      id: tokenFamilies.id,
      scope: tokenFamilies.scope,
      created: tokenFamilies.created,
      expiresAt: tokenFamilies.expiresAt,
      application: { id: applications.id, name: applications.name, clientId: applications.clientId },
    })
    .from(tokenFamilies)
    .innerJoin(applications, eq(applications.id, tokenFamilies.applicationId))
    .where(live(userId, clock))
    .orderBy(desc(tokenFamilies.created))
    .all()
}

/** The scopes of the user's live grants to one application (for `approval_prompt=auto`). */
export async function liveGrantScopes(db: Db, userId: number, applicationId: number, clock: Clock): Promise<string[]> {
  const rows = await db
    .select({ scope: tokenFamilies.scope })
    .from(tokenFamilies)
    .where(and(live(userId, clock), eq(tokenFamilies.applicationId, applicationId)))
    .all()
  return rows.map((r) => r.scope)
}

/** The ids of an application's live grants, to revoke (and delete their tokens) before it goes. */
export async function liveFamilyIdsOf(db: Db, applicationId: number, clock: Clock): Promise<string[]> {
  const rows = await db
    .select({ id: tokenFamilies.id })
    .from(tokenFamilies)
    .where(
      and(
        eq(tokenFamilies.applicationId, applicationId),
        isNull(tokenFamilies.revokedAt),
        gt(tokenFamilies.expiresAt, clock.now()),
      ),
    )
    .all()
  return rows.map((r) => r.id)
}

/** The application of the user's live grant `familyId`, or undefined when it is not one (anyone else's answers the same). */
export async function liveGrantApplicationId(
  db: Db,
  userId: number,
  familyId: string,
  clock: Clock,
): Promise<number | undefined> {
  const row = await db
    .select({ applicationId: tokenFamilies.applicationId })
    .from(tokenFamilies)
    .where(and(live(userId, clock), eq(tokenFamilies.id, familyId)))
    .get()
  return row?.applicationId
}
