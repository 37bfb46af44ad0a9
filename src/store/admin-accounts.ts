/**
 * @module Users and groups as the admin site lists and changes them: searched, filtered and paged
 * lists, a user with their groups, a group with its members, and the statements of a change, for
 * the caller to run in one D1 batch with its log entry (and any revocation).
 */
import { and, asc, count, eq, inArray, type like, or, type SQL, sql } from 'drizzle-orm'
import type { Db } from '../db/client'
import { applications, groups, userGroups, users } from '../db/schema'

/** Django admin's `list_per_page`. */
export const ADMIN_PAGE_SIZE = 100

export type AdminUser = typeof users.$inferSelect
export type AdminGroup = typeof groups.$inferSelect

/** A LIKE pattern that matches `text` anywhere, its own `%`, `_` and `\` taken literally. */
export const containsPattern = (text: string) => `%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`
const contains = (column: Parameters<typeof like>[0], text: string) =>
  sql`${column} LIKE ${containsPattern(text)} ESCAPE '\\'`

/** What the user list is narrowed to: Django admin's `?q=` search and its two filters. */
export type UserFilter = { q?: string; isActive?: boolean; isStaff?: boolean }

function userConditions(filter: UserFilter): SQL | undefined {
  const terms = (filter.q ?? '').split(/\s+/).filter(Boolean)
  // As Django's admin search: every word must match one of the searched fields.
  const conditions = terms.map(
    (t) =>
      or(
        contains(users.username, t),
        contains(users.email, t),
        contains(users.firstName, t),
        contains(users.lastName, t),
      ) as SQL,
  )
  if (filter.isActive !== undefined) conditions.push(eq(users.isActive, filter.isActive))
  if (filter.isStaff !== undefined) conditions.push(eq(users.isStaff, filter.isStaff))
  return conditions.length ? and(...conditions) : undefined
}

/** One page (1-based) of the users matching `filter`, by username, and how many match: one batch. */
export async function searchUsers(db: Db, filter: UserFilter, page: number) {
  const where = userConditions(filter)
  const [[total], rows] = await db.batch([
    db.select({ n: count() }).from(users).where(where),
    db
      .select()
      .from(users)
      .where(where)
      .orderBy(asc(users.username))
      .limit(ADMIN_PAGE_SIZE)
      .offset((page - 1) * ADMIN_PAGE_SIZE),
  ])
  return { total: total?.n ?? 0, rows }
}

/** A user, the ids of their groups, every group (for the form) and the applications they own: one batch. */
export async function userForAdmin(db: Db, id: number) {
  const [[user], memberships, allGroups, owned] = await db.batch([
    db.select().from(users).where(eq(users.id, id)),
    db.select({ groupId: userGroups.groupId }).from(userGroups).where(eq(userGroups.userId, id)),
    db.select().from(groups).orderBy(asc(groups.name)),
    db
      .select({ id: applications.id, name: applications.name, clientId: applications.clientId })
      .from(applications)
      .where(eq(applications.userId, id))
      .orderBy(asc(applications.id)),
  ])
  if (!user) return undefined
  return { user, groupIds: memberships.map((m) => m.groupId), groups: allGroups, applications: owned }
}

/** Every group, by name (the user form's choices). */
export const allGroups = (db: Db) => db.select().from(groups).orderBy(asc(groups.name)).all()

/** Inserts a user (a statement for the caller's batch). */
export const insertUserStatement = (db: Db, values: typeof users.$inferInsert) =>
  db.insert(users).values(values).returning()

/** The id of the user named `username`, as SQL: a later statement of the batch that inserts them refers to it. */
export const userIdByUsername = (db: Db, username: string) =>
  sql`(${db.select({ id: users.id }).from(users).where(eq(users.username, username))})`

/** Changes a user's fields (a statement). */
export const updateUserStatement = (db: Db, id: number, values: Partial<typeof users.$inferInsert>) =>
  db.update(users).set(values).where(eq(users.id, id))

/** Deletes a user; their sessions, grants, codes, memberships and own applications go with them (cascade). */
export const deleteUserStatement = (db: Db, id: number) => db.delete(users).where(eq(users.id, id))

/** Replaces a user's groups with `groupIds` (statements: the delete, then the inserts). */
export function setUserGroupsStatements(db: Db, userId: number, groupIds: readonly number[]) {
  const clear = db.delete(userGroups).where(eq(userGroups.userId, userId))
  if (groupIds.length === 0) return [clear] as const
  return [clear, db.insert(userGroups).values(groupIds.map((groupId) => ({ userId, groupId })))] as const
}

/** Which of `ids` are groups that exist (the rest of a forged form is refused). */
export async function existingGroupIds(db: Db, ids: readonly number[]): Promise<number[]> {
  if (ids.length === 0) return []
  const rows = await db
    .select({ id: groups.id })
    .from(groups)
    .where(inArray(groups.id, [...ids]))
    .all()
  return rows.map((r) => r.id)
}

/** Which of `ids` are users that exist. */
export async function existingUserIds(db: Db, ids: readonly number[]): Promise<number[]> {
  if (ids.length === 0) return []
  const rows = await db
    .select({ id: users.id })
    .from(users)
    .where(inArray(users.id, [...ids]))
    .all()
  return rows.map((r) => r.id)
}

/** One page of the groups whose name contains `q`, by name, with how many match: one batch. */
export async function searchGroups(db: Db, q: string, page: number) {
  const where = q ? contains(groups.name, q) : undefined
  const [[total], rows] = await db.batch([
    db.select({ n: count() }).from(groups).where(where),
    db
      .select({
        id: groups.id,
        name: groups.name,
        members: sql<number>`(SELECT count(*) FROM user_groups WHERE group_id = ${groups.id})`.as('members'),
      })
      .from(groups)
      .where(where)
      .orderBy(asc(groups.name))
      .limit(ADMIN_PAGE_SIZE)
      .offset((page - 1) * ADMIN_PAGE_SIZE),
  ])
  return { total: total?.n ?? 0, rows }
}

/** A group, its members' ids, and every user (id and username, for the form): one batch. */
export async function groupForAdmin(db: Db, id: number) {
  const [[group], members, everyone] = await db.batch([
    db.select().from(groups).where(eq(groups.id, id)),
    db.select({ userId: userGroups.userId }).from(userGroups).where(eq(userGroups.groupId, id)),
    db.select({ id: users.id, username: users.username }).from(users).orderBy(asc(users.username)),
  ])
  if (!group) return undefined
  return { group, memberIds: members.map((m) => m.userId), users: everyone }
}

/** Inserts a group (a statement). */
export const insertGroupStatement = (db: Db, name: string) => db.insert(groups).values({ name }).returning()

/** The id of the group named `name`, as SQL, for a later statement of the batch that inserts it. */
export const groupIdByName = (db: Db, name: string) =>
  sql`(${db.select({ id: groups.id }).from(groups).where(eq(groups.name, name))})`

/** Renames a group (a statement). */
export const renameGroupStatement = (db: Db, id: number, name: string) =>
  db.update(groups).set({ name }).where(eq(groups.id, id))

/** Replaces a group's members with `userIds` (statements). */
export function setGroupMembersStatements(db: Db, groupId: number, userIds: readonly number[]) {
  const clear = db.delete(userGroups).where(eq(userGroups.groupId, groupId))
  if (userIds.length === 0) return [clear] as const
  return [clear, db.insert(userGroups).values(userIds.map((userId) => ({ userId, groupId })))] as const
}

/** Deletes a group; its memberships go with it (cascade). */
export const deleteGroupStatement = (db: Db, id: number) => db.delete(groups).where(eq(groups.id, id))

/** Whether a D1 error (drizzle keeps D1's as its `cause`) is a UNIQUE constraint: a name taken concurrently. */
export function isUniqueViolation(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause)
    if (/UNIQUE constraint failed/i.test(e.message)) return true
  return false
}
