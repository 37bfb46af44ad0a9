/** @module The drizzle client over the D1 binding. */
import { drizzle } from 'drizzle-orm/d1'
import * as schema from './schema'

const newDb = (d1: D1Database) => drizzle(d1, { schema })
export type Db = ReturnType<typeof newDb>

const clients = new WeakMap<D1Database, Db>()

/**
 * The drizzle client for a D1 binding, made once per binding: drizzle derives its relational
 * config from the whole schema on every call, which was ~4% of a token request's CPU (npm run bench).
 */
export function createDb(d1: D1Database): Db {
  let db = clients.get(d1)
  if (!db) clients.set(d1, (db = newDb(d1)))
  return db
}
export { schema }
