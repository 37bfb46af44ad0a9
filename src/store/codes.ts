/** @module Authorization codes in D1, stored by digest and spent atomically. */
import { and, eq, isNull } from 'drizzle-orm'
import type { Db } from '../db/client'
import { authorizationCodes } from '../db/schema'
import type { Clock } from '../clock'
import type { NewFamily } from './families'

export type AuthorizationCode = typeof authorizationCodes.$inferSelect

export async function insertCode(db: Db, code: typeof authorizationCodes.$inferInsert): Promise<void> {
  await db.insert(authorizationCodes).values(code).run()
}

const spend = (db: Db, codeHash: string, familyId: string | null, clock: Clock) =>
  db
    .update(authorizationCodes)
    .set({ usedAt: clock.now(), familyId })
    .where(and(eq(authorizationCodes.codeHash, codeHash), isNull(authorizationCodes.usedAt)))

/** Burns a code that failed its exchange, so it cannot be tried again. */
export async function burnCode(db: Db, codeHash: string, clock: Clock): Promise<void> {
  await spend(db, codeHash, null, clock).run()
}

/**
 * Spends a code and creates the grant its tokens belong to, in one D1 transaction: of any number
 * of concurrent callers exactly one succeeds, and from the moment the code is spent a replay finds
 * the grant to revoke. False if the code was spent already. (Raw SQL: drizzle cannot batch an
 * INSERT … SELECT guarded by the UPDATE before it.)
 */
export async function spendCodeIntoFamily(db: Db, codeHash: string, family: NewFamily, clock: Clock): Promise<boolean> {
  // drizzle's own D1 client (the request's, behind the storage guard): drizzle cannot batch raw SQL.
  const d1 = db.$client
  const [spent] = await d1.batch([
    d1
      .prepare('update authorization_codes set used_at = ?, family_id = ? where code_hash = ? and used_at is null')
      .bind(clock.now(), family.id, codeHash),
    // Inserts only if the update above just recorded this family on the code.
    d1
      .prepare(
        `insert into token_families
           (id, application_id, user_id, scope, refresh_hash, access_hash, auth_time, resources, expires_at)
         select ?, ?, ?, ?, ?, ?, ?, ?, ? from authorization_codes where code_hash = ? and family_id = ?`,
      )
      .bind(
        family.id,
        family.applicationId,
        family.userId ?? null,
        family.scope,
        family.refreshHash ?? null,
        family.accessHash ?? null,
        family.authTime ?? null,
        family.resources ?? null,
        family.expiresAt,
        codeHash,
        family.id,
      ),
  ])
  return spent!.meta.changes === 1
}

export function findCode(db: Db, codeHash: string): Promise<AuthorizationCode | undefined> {
  return db.select().from(authorizationCodes).where(eq(authorizationCodes.codeHash, codeHash)).get()
}
