/** @module Registered resources (RFC 8707) in D1: the APIs other than the built-in one that tokens are issued for. */
import { inArray } from 'drizzle-orm'
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
