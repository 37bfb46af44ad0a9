/**
 * @module What the administrator sees and changes across every owner: users with their groups,
 * groups with their members, every application with its owner (or none), the live grants, and
 * the single-row writes the admin CLI batches with a revocation (src/tokens/revoke-all.ts). Each
 * write is a query builder, not a promise, so the caller can run it in a D1 batch or print its
 * `.toSQL()` for the D1 console.
 */
import { and, asc, eq, or, type SQL, sql } from 'drizzle-orm'
import type { Clock } from '../clock'
import type { Db } from '../db/client'
import { applications, groups, tokenFamilies, userGroups, users } from '../db/schema'
import { type GrantFilter, liveGrantsWhere } from './admin-oauth'

/** Case-insensitive "contains" (instr, not LIKE: a `%` or `_` in the search is a plain character). */
const contains = (column: SQL | typeof users.username, search: string) =>
  sql`instr(lower(${column}), lower(${search})) > 0`

/** Every user (those whose username, email, first or last name contain `search`, when given), by id. */
export function selectUsers(db: Db, search?: string) {
  const where = search
    ? or(
        contains(users.username, search),
        contains(sql`${users.email}`, search),
        contains(sql`${users.firstName}`, search),
        contains(sql`${users.lastName}`, search),
      )
    : undefined
  return db
    .select({
      id: users.id,
      username: users.username,
      email: users.email,
      isActive: users.isActive,
      isStaff: users.isStaff,
      isSuperuser: users.isSuperuser,
    })
    .from(users)
    .where(where)
    .orderBy(asc(users.id))
}

/** Every membership as (user id, username, group name), for grouping beside the users or groups. */
export const selectMemberships = (db: Db) =>
  db
    .select({ userId: userGroups.userId, username: users.username, groupId: groups.id, group: groups.name })
    .from(userGroups)
    .innerJoin(users, eq(users.id, userGroups.userId))
    .innerJoin(groups, eq(groups.id, userGroups.groupId))
    .orderBy(asc(groups.name), asc(users.username))

/** Every group, by id. */
export const selectGroups = (db: Db) =>
  db.select({ id: groups.id, name: groups.name }).from(groups).orderBy(asc(groups.id))

/** The group named `name`, exactly. */
export const selectGroupByName = (db: Db, name: string) =>
  db.select({ id: groups.id, name: groups.name }).from(groups).where(eq(groups.name, name))

/**
 * Every application, with its owner's username (null for an application without owner) and how it
 * was registered (by a person, or by itself: RFC 7591 or a Client ID Metadata Document), by id.
 */
export const selectApplications = (db: Db) =>
  db
    .select({
      id: applications.id,
      clientId: applications.clientId,
      name: applications.name,
      owner: users.username,
      clientType: applications.clientType,
      grantType: applications.authorizationGrantType,
      skipAuthorization: applications.skipAuthorization,
      registration: applications.registration,
    })
    .from(applications)
    .leftJoin(users, eq(users.id, applications.userId))
    .orderBy(asc(applications.id))

/** Live grants (neither revoked nor expired), optionally of one user and/or one application, oldest first. */
export function selectLiveGrants(db: Db, clock: Clock, filter: GrantFilter) {
  return db
    .select({
      id: tokenFamilies.id,
      username: users.username,
      clientId: applications.clientId,
      scope: tokenFamilies.scope,
      created: tokenFamilies.created,
      expiresAt: tokenFamilies.expiresAt,
    })
    .from(tokenFamilies)
    .innerJoin(applications, eq(applications.id, tokenFamilies.applicationId))
    .leftJoin(users, eq(users.id, tokenFamilies.userId))
    .where(liveGrantsWhere(filter, clock))
    .orderBy(asc(tokenFamilies.created), asc(tokenFamilies.id))
}

/** Ends one membership; returns the row if there was one. */
export const deleteMembership = (db: Db, userId: number, groupId: number) =>
  db
    .delete(userGroups)
    .where(and(eq(userGroups.userId, userId), eq(userGroups.groupId, groupId)))
    .returning({ userId: userGroups.userId })
