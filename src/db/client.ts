/** @module The drizzle client over the D1 binding, and queries prepared once per client. */
import { fillPlaceholders } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/d1'
import type { PreparedQueryConfig, SQLitePreparedQuery } from 'drizzle-orm/sqlite-core'
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

/**
 * Runs queries `.prepare()`d with placeholders (see preparedQuery) as one D1 batch, one round trip
 * and one transaction, as `db.batch` does with query builders, but without building their SQL
 * again: each result is mapped as drizzle maps it, in order.
 */
export async function batchPrepared(
  db: Db,
  queries: readonly SQLitePreparedQuery<PreparedQueryConfig>[],
  values: Record<string, unknown>,
): Promise<unknown[]> {
  const d1 = db.$client
  const statements = queries.map((query) => {
    const { sql, params } = query.getQuery()
    return d1.prepare(sql).bind(...fillPlaceholders(params, values))
  })
  const results = await d1.batch(statements)
  return results.map((result, i) => queries[i]!.mapResult(result, true))
}

export { schema }
