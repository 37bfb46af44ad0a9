/**
 * @module The admin site's action log in D1 (Django's LogEntry): one row per add, change or delete,
 * written in the same batch as the change it describes.
 */
import { and, desc, eq, type SQL, sql } from 'drizzle-orm'
import type { Db } from '../db/client'
import { adminLog } from '../db/schema'

export type AdminLogEntry = typeof adminLog.$inferSelect
export type AdminObjectType = 'user' | 'group' | 'application' | 'accesstoken'

/** One action, as the admin site records it. */
export type NewAdminLogEntry = {
  actor: { id: number; username: string }
  objectType: AdminObjectType
  /** The object's id, or SQL that finds it (an object inserted earlier in the same batch). */
  objectId: string | number | SQL
  objectRepr: string
  action: AdminLogEntry['action']
  message?: string
}

/** The insert of one entry: a statement for the batch of the change it records. */
export const logAdminAction = (db: Db, entry: NewAdminLogEntry) =>
  db.insert(adminLog).values({
    actorId: entry.actor.id,
    actorUsername: entry.actor.username,
    objectType: entry.objectType,
    objectId: typeof entry.objectId === 'object' ? sql`CAST(${entry.objectId} AS TEXT)` : String(entry.objectId),
    objectRepr: entry.objectRepr,
    action: entry.action,
    message: entry.message ?? '',
  })

/** The latest entries on the whole site, newest first (the index's "Recent actions"). */
export const recentAdminActions = (db: Db, limit = 10): Promise<AdminLogEntry[]> =>
  db.select().from(adminLog).orderBy(desc(adminLog.id)).limit(limit).all()

/** The entries about one object, newest first (its history on its change page). */
export const adminActionsOn = (db: Db, objectType: AdminObjectType, objectId: string | number, limit = 50) =>
  db
    .select()
    .from(adminLog)
    .where(and(eq(adminLog.objectType, objectType), eq(adminLog.objectId, String(objectId))))
    .orderBy(desc(adminLog.id))
    .limit(limit)
    .all()
