/**
 * @module Token families in D1: one row per grant, holding the digest of the one refresh token
 * that may still be used. D1 decides single use atomically; KV could not (no compare-and-set,
 * and up to 60 s stale across locations).
 */
import { and, eq, gt, isNull } from 'drizzle-orm'
import type { Db } from '../../db/client'
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

/** Whether the family is revoked (or gone: cleanup removes revoked rows after a while). */
export async function isFamilyRevoked(db: Db, id: string): Promise<boolean> {
  const row = await db.select({ revokedAt: tokenFamilies.revokedAt }).from(tokenFamilies).where(eq(tokenFamilies.id, id)).get()
  return !row || row.revokedAt !== null
}

/**
 * Moves a family from one refresh token to the next, if and only if `oldRefreshHash` is still
 * its current one and it is neither revoked nor expired. Of any number of concurrent callers with
 * the same old token, exactly one gets `true`.
 */
export async function rotateFamily(
  db: Db,
  id: string,
  oldRefreshHash: string,
  next: { refreshHash: string; accessHash: string; expiresAt: number },
): Promise<boolean> {
  const result = await db
    .update(tokenFamilies)
    .set(next)
    .where(
      and(
        eq(tokenFamilies.id, id),
        eq(tokenFamilies.refreshHash, oldRefreshHash),
        isNull(tokenFamilies.revokedAt),
        gt(tokenFamilies.expiresAt, nowSeconds()),
      ),
    )
    .run()
  return result.meta.changes === 1
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
