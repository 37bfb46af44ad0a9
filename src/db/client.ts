/** @module The drizzle client over the D1 binding, and queries prepared once per client. */
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
  if (!db) {
    db = newDb(d1)
    clients.set(d1, db)
  }
  return db
}

/**
 * A query built and `.prepare()`d once per client, its values bound per call through
 * `sql.placeholder` (drizzle's "Query performance" page). For the queries on every request's
 * path: building the SQL string each time was ~6% of `GET /users/<pk>/`'s CPU (npm run bench:profile).
 *
 * @example
 * const userById = preparedQuery((db) => db.select().from(users).where(eq(users.id, sql.placeholder('id'))).prepare())
 * const user = await userById(db).get({ id: 3 })
 */
export function preparedQuery<Q>(build: (db: Db) => Q): (db: Db) => Q {
  const prepared = new WeakMap<Db, Q>()
  return (db) => {
    let query = prepared.get(db)
    if (!query) {
      query = build(db)
      prepared.set(db, query)
    }
    return query
  }
}
export { schema }
