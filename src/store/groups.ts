/** @module Groups in D1. */
import { asc, count } from 'drizzle-orm'
import type { Db } from '../db/client'
import { groups } from '../db/schema'

/** Every group, by id: the ordered select the API pages with LIMIT/OFFSET. */
export const listGroups = (db: Db) => db.select().from(groups).orderBy(asc(groups.id))

/** The number of groups, as a query (a D1 batch item beside a page of them). */
export const countGroups = (db: Db) => db.select({ n: count() }).from(groups)
