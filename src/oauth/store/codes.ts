/** @module Authorization codes in D1, stored by digest and spent atomically. */
import { and, eq, isNull } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { authorizationCodes } from '../../db/schema'
import { nowSeconds } from './tokens'

export type AuthorizationCode = typeof authorizationCodes.$inferSelect

export async function insertCode(db: Db, code: typeof authorizationCodes.$inferInsert): Promise<void> {
  await db.insert(authorizationCodes).values(code).run()
}

/**
 * Spends a code: of any number of concurrent callers, exactly one gets the row back. The family
 * id its tokens will get is recorded in the same statement, so a replay can always find them.
 */
export function spendCode(db: Db, codeHash: string, familyId: string): Promise<AuthorizationCode | undefined> {
  return db
    .update(authorizationCodes)
    .set({ usedAt: nowSeconds(), familyId })
    .where(and(eq(authorizationCodes.codeHash, codeHash), isNull(authorizationCodes.usedAt)))
    .returning()
    .get()
}

export function findCode(db: Db, codeHash: string): Promise<AuthorizationCode | undefined> {
  return db.select().from(authorizationCodes).where(eq(authorizationCodes.codeHash, codeHash)).get()
}
