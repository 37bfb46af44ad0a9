/** @module Groups and their members in D1. */
import { asc, count } from 'drizzle-orm'
import type { Db } from '../db/client'
import { groups, userGroups } from '../db/schema'

/** Every group, by id: the ordered select the API pages with LIMIT/OFFSET. */
export const listGroups = (db: Db) => db.select().from(groups).orderBy(asc(groups.id))

/** The number of groups, as a query (a D1 batch item beside a page of them). */
export const countGroups = (db: Db) => db.select({ n: count() }).from(groups)

/**
 * The insert of a group that does nothing when the name is taken (a statement: it returns the row,
 * or none). The unique index decides between concurrent creations: exactly one wins.
 */
export const insertGroupUnlessTakenStatement = (db: Db, name: string) =>
  db.insert(groups).values({ name }).onConflictDoNothing({ target: groups.name }).returning()

/** Makes a user a member of a group (a statement); already a member: nothing changes. */
export const addMemberStatement = (db: Db, userId: number, groupId: number) =>
  db.insert(userGroups).values({ userId, groupId }).onConflictDoNothing()
