/** @module Registered resources (RFC 8707) in D1: the APIs other than the built-in one that tokens are issued for. */
import { asc, eq, inArray } from 'drizzle-orm'
import type { Db } from '../db/client'
import { resources } from '../db/schema'

/** A registered resource, as D1 has it. */
export type ResourceRow = typeof resources.$inferSelect

/** The registered resources among `uris` (exact string match), in no particular order. */
export function findResources(db: Db, uris: readonly string[]): Promise<ResourceRow[]> {
  return db
    .select()
    .from(resources)
    .where(inArray(resources.uri, [...uris]))
    .all()
}

/** Every registered resource, oldest first (a query). */
export const selectResources = (db: Db) => db.select().from(resources).orderBy(asc(resources.id))

/**
 * The insert of a resource that does nothing when its URI is registered already (a statement: it
 * returns the row, or none). The unique index decides between concurrent registrations.
 */
export const insertResourceUnlessTakenStatement = (db: Db, values: typeof resources.$inferInsert) =>
  db.insert(resources).values(values).onConflictDoNothing({ target: resources.uri }).returning()

/**
 * Deletes the resource `uri` (a statement: it returns the row if there was one). Grants for it
 * stay until they expire, but can no longer be refreshed (invalid_target).
 */
export const deleteResourceStatement = (db: Db, uri: string) =>
  db.delete(resources).where(eq(resources.uri, uri)).returning({ uri: resources.uri })
