/**
 * @module D1 records of dynamic client registration (RFC 7591): the initial access tokens an
 * administrator issues, the per-address registration counter, and the single-use `jti` of
 * private_key_jwt client assertions (RFC 7523 §3).
 */
import { and, eq, gt, sql } from 'drizzle-orm'
import type { SQLiteUpdateSetSource } from 'drizzle-orm/sqlite-core'
import type { Db } from '../db/client'
import { applications, clientAssertions, initialAccessTokens, rateLimits } from '../db/schema'
import type { Application } from './applications'

/** Whether an initial access token with this digest exists and has not expired. */
export async function isInitialAccessTokenValid(db: Db, tokenHash: string, now: number): Promise<boolean> {
  const row = await db
    .select({ one: sql<number>`1` })
    .from(initialAccessTokens)
    .where(and(eq(initialAccessTokens.tokenHash, tokenHash), gt(initialAccessTokens.expiresAt, now)))
    .get()
  return row !== undefined
}

/**
 * The insert of an initial access token (RFC 7591 §3) an administrator issues (a statement: it
 * returns the row). Only its digest is stored; it may be used until `expiresAt`.
 */
export const insertInitialAccessTokenStatement = (db: Db, values: typeof initialAccessTokens.$inferInsert) =>
  db.insert(initialAccessTokens).values(values).returning()

/**
 * Counts one registration under `key` in a fixed window of `windowSeconds` (the rate_limits table,
 * cleaned by the cron) and returns the count, in one statement: concurrent requests are counted
 * one after another. The count stops at limit + 1, so a flood does not grow it.
 */
export async function countRegistration(
  db: Db,
  key: string,
  now: number,
  windowSeconds: number,
  limit: number,
): Promise<{ count: number; windowStart: number }> {
  const expired = sql`${rateLimits.windowStart} <= ${now - windowSeconds}`
  const row = await db
    .insert(rateLimits)
    .values({ key, windowStart: now, failures: 1 })
    .onConflictDoUpdate({
      target: rateLimits.key,
      set: {
        failures: sql`case when ${expired} then 1 else min(${rateLimits.failures} + 1, ${limit + 1}) end`,
        windowStart: sql`case when ${expired} then ${now} else ${rateLimits.windowStart} end`,
      },
    })
    .returning({ count: rateLimits.failures, windowStart: rateLimits.windowStart })
    .get()
  return row!
}

/**
 * Records a client assertion's `jti` until `expiresAt`; false when it was recorded already (a
 * replay). One INSERT on the primary key: of concurrent requests with one assertion, exactly one
 * inserts.
 */
export async function recordAssertion(db: Db, key: string, expiresAt: number): Promise<boolean> {
  const rows = await db
    .insert(clientAssertions)
    .values({ key, expiresAt })
    .onConflictDoNothing()
    .returning({ key: clientAssertions.key })
    .all()
  return rows.length === 1
}

/**
 * Replaces a dynamically registered client's metadata (RFC 7592 §2.2) if its registration access
 * token is still `tokenHash`: of two updates racing with one token, only the first applies.
 */
export async function updateRegisteredClient(
  db: Db,
  id: number,
  tokenHash: string,
  values: SQLiteUpdateSetSource<typeof applications>,
): Promise<Application | undefined> {
  return db
    .update(applications)
    .set({ ...values, updated: sql`(unixepoch())` })
    .where(and(eq(applications.id, id), eq(applications.registrationTokenHash, tokenHash)))
    .returning()
    .get()
}

/**
 * Deletes a dynamically registered client if its registration access token is still `tokenHash`
 * (a statement for the caller's batch, RETURNING the id: empty when another request with the same
 * token changed or deleted the client first). Its grants and codes go with it (cascade).
 */
export const deleteRegisteredClientStatement = (db: Db, id: number, tokenHash: string) =>
  db
    .delete(applications)
    .where(and(eq(applications.id, id), eq(applications.registrationTokenHash, tokenHash)))
    .returning({ id: applications.id })
