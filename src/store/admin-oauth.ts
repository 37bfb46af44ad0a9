/**
 * @module Applications of every owner and the live grants of every user, as the admin site lists
 * them (django-oauth-toolkit's `oauth2_provider` models in Django's admin).
 */
import { and, asc, count, desc, eq, gt, isNull, type SQL, sql } from 'drizzle-orm'
import type { Db } from '../db/client'
import { applications, tokenFamilies, users } from '../db/schema'
import type { Clock } from '../clock'
import { ADMIN_PAGE_SIZE, containsPattern } from './admin-accounts'
import type { Registration } from './applications'

const owner = { ownerUsername: users.username }

/**
 * One page of the applications whose name or client id contains `q`, registered the way
 * `registration` says (any when undefined), with their owner's username: one batch.
 */
export async function searchApplications(db: Db, q: string, page: number, registration?: Registration) {
  const where = and(
    q
      ? sql`(${applications.name} LIKE ${containsPattern(q)} ESCAPE '\\' OR ${applications.clientId} LIKE ${containsPattern(q)} ESCAPE '\\')`
      : undefined,
    registration === undefined ? undefined : eq(applications.registration, registration),
  )
  const [[total], rows] = await db.batch([
    db.select({ n: count() }).from(applications).where(where),
    db
      .select({ app: applications, ...owner })
      .from(applications)
      .leftJoin(users, eq(users.id, applications.userId))
      .where(where)
      .orderBy(asc(applications.id))
      .limit(ADMIN_PAGE_SIZE)
      .offset((page - 1) * ADMIN_PAGE_SIZE),
  ])
  return { total: total?.n ?? 0, rows }
}

/** An application with its owner's username (null without an owner), and every user for the owner choice: one batch. */
export async function applicationForAdmin(db: Db, id: number) {
  const [[found], everyone] = await db.batch([
    db
      .select({ app: applications, ...owner })
      .from(applications)
      .leftJoin(users, eq(users.id, applications.userId))
      .where(eq(applications.id, id)),
    db.select({ id: users.id, username: users.username }).from(users).orderBy(asc(users.username)),
  ])
  return found ? { ...found, users: everyone } : undefined
}

/** Every user, id and username (the owner choice of a new application). */
export const userChoices = (db: Db) =>
  db.select({ id: users.id, username: users.username }).from(users).orderBy(asc(users.username)).all()

/** Inserts an application (a statement for the caller's batch). */
export const insertApplicationStatement = (db: Db, values: typeof applications.$inferInsert) =>
  db.insert(applications).values(values).returning()

/** The id of the application with `clientId`, as SQL, for a later statement of the batch that inserts it. */
export const applicationIdByClientId = (db: Db, clientId: string) =>
  sql`(${db.select({ id: applications.id }).from(applications).where(eq(applications.clientId, clientId))})`

/** Changes an application (a statement); `updated` moves on. */
export const updateApplicationStatement = (db: Db, id: number, values: Partial<typeof applications.$inferInsert>) =>
  db
    .update(applications)
    .set({ ...values, updated: sql`(unixepoch())` })
    .where(eq(applications.id, id))

/** Deletes an application; its grants and codes go with it (cascade). */
export const deleteApplicationStatement = (db: Db, id: number) => db.delete(applications).where(eq(applications.id, id))

/** Which live grants the token list shows. */
export type GrantFilter = { userId?: number; applicationId?: number }

/** The live grants (neither revoked nor expired), of one user and/or one application when the filter names them. */
export function liveGrantsWhere(filter: GrantFilter, clock: Clock): SQL | undefined {
  const conditions: SQL[] = [isNull(tokenFamilies.revokedAt), gt(tokenFamilies.expiresAt, clock.now())]
  if (filter.userId !== undefined) conditions.push(eq(tokenFamilies.userId, filter.userId))
  if (filter.applicationId !== undefined) conditions.push(eq(tokenFamilies.applicationId, filter.applicationId))
  return and(...conditions)
}

/** One page of the live grants (neither revoked nor expired), newest first, with user and application: one batch. */
export async function searchLiveGrants(db: Db, filter: GrantFilter, page: number, clock: Clock) {
  const where = liveGrantsWhere(filter, clock)
  const [[total], rows] = await db.batch([
    db.select({ n: count() }).from(tokenFamilies).where(where),
    db
      .select({
        id: tokenFamilies.id,
        scope: tokenFamilies.scope,
        created: tokenFamilies.created,
        expiresAt: tokenFamilies.expiresAt,
        userId: tokenFamilies.userId,
        username: users.username,
        // Not applications.id: D1 batch results are keyed by column name, and two `id`s collide.
        applicationId: tokenFamilies.applicationId,
        applicationName: applications.name,
        clientId: applications.clientId,
      })
      .from(tokenFamilies)
      .innerJoin(applications, eq(applications.id, tokenFamilies.applicationId))
      .leftJoin(users, eq(users.id, tokenFamilies.userId))
      .where(where)
      .orderBy(desc(tokenFamilies.created), asc(tokenFamilies.id))
      .limit(ADMIN_PAGE_SIZE)
      .offset((page - 1) * ADMIN_PAGE_SIZE),
  ])
  return { total: total?.n ?? 0, rows }
}
