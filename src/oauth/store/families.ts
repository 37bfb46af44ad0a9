/**
 * @module Token families in D1: one row per grant, holding the digest of the one refresh token
 * that may still be used. D1 decides single use atomically; KV could not (no compare-and-set,
 * and up to 60 s stale across locations).
 */
import { and, eq, gt, isNull, sql } from 'drizzle-orm'
import { type Db, preparedQuery } from '../../db/client'
import { tokenFamilies } from '../../db/schema'
import { nowSeconds } from './tokens'

export type TokenFamily = typeof tokenFamilies.$inferSelect
export type NewFamily = typeof tokenFamilies.$inferInsert

export async function insertFamily(db: Db, family: NewFamily): Promise<void> {
  await db.insert(tokenFamilies).values(family).run()
}

export async function findFamily(db: Db, id: string): Promise<TokenFamily | undefined> {
  return db.select().from(tokenFamilies).where(eq(tokenFamilies.id, id)).get()
}

// Prepared once: every refresh and code exchange re-reads this after storing its tokens.
const revokedAtById = preparedQuery((db) =>
  db.select({ revokedAt: tokenFamilies.revokedAt }).from(tokenFamilies).where(eq(tokenFamilies.id, sql.placeholder('id'))).prepare(),
)

/** Whether the family is revoked (or gone: cleanup removes revoked rows after a while). */
export async function isFamilyRevoked(db: Db, id: string): Promise<boolean> {
  const row = await revokedAtById(db).get({ id })
  return !row || row.revokedAt !== null
}

/** What one rotation attempt found and did. */
export type Rotation = {
  /** The family as it was just before the attempt (undefined if there is none). */
  before: TokenFamily | undefined
  /** Whether this attempt moved the family to the new tokens. */
  rotated: boolean
}

/**
 * Reads a family and moves it from one refresh token to the next in one D1 batch: one round trip,
 * and one transaction, so the row read is the row the update saw. The move happens if and only
 * if `oldRefreshHash` is still its current refresh token, it is neither revoked nor expired, and
 * its granted scope holds every one of `scopes` (RFC 6749 §6: a refresh may narrow the scope,
 * never widen it). Of any number of concurrent callers with the same old token, at most one gets
 * `rotated: true`; `before` tells the others why not.
 */
export async function rotateFamily(
  db: Db,
  id: string,
  oldRefreshHash: string,
  next: { refreshHash: string; accessHash: string; expiresAt: number },
  scopes: readonly string[],
): Promise<Rotation> {
  const now = nowSeconds()
  const [[before], update] = await db.batch([
    db.select().from(tokenFamilies).where(eq(tokenFamilies.id, id)),
    db
      .update(tokenFamilies)
      .set(next)
      .where(
        and(
          eq(tokenFamilies.id, id),
          eq(tokenFamilies.refreshHash, oldRefreshHash),
          isNull(tokenFamilies.revokedAt),
          gt(tokenFamilies.expiresAt, now),
          // `scope` is space-delimited: padded with spaces, it contains " name " for each scope it grants.
          ...scopes.map((name) => sql`instr(' ' || ${tokenFamilies.scope} || ' ', ${` ${name} `}) > 0`),
        ),
      ),
  ])
  return { before, rotated: update.meta.changes === 1 }
}

/** Undoes a rotation whose new tokens could not be stored, so the old refresh token works again. */
export async function unrotateFamily(db: Db, id: string, from: { refreshHash: string }, to: { refreshHash: string; accessHash: string | null }) {
  await db
    .update(tokenFamilies)
    .set(to)
    .where(and(eq(tokenFamilies.id, id), eq(tokenFamilies.refreshHash, from.refreshHash)))
    .run()
}

/** Marks a family revoked and returns the digests of its live tokens, for deletion from KV. */
export async function markFamilyRevoked(db: Db, id: string): Promise<TokenFamily | undefined> {
  return db
    .update(tokenFamilies)
    .set({ revokedAt: nowSeconds() })
    .where(and(eq(tokenFamilies.id, id), isNull(tokenFamilies.revokedAt)))
    .returning()
    .get()
}
