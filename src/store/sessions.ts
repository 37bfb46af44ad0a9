/**
 * @module Browser sessions in D1, by the SHA-256 of the cookie's id (never the id): the user, a
 * per-session CSRF secret and the expiry. The cookie itself is src/web/session.ts's.
 */
import { and, eq, gt } from 'drizzle-orm'
import type { Db } from '../db/client'
import { sessions, users } from '../db/schema'
import type { Clock } from '../clock'
import type { User } from './users'

type SessionRow = typeof sessions.$inferSelect

export async function insertSession(db: Db, session: typeof sessions.$inferInsert): Promise<void> {
  await db.insert(sessions).values(session).run()
}

/** The unexpired session stored under `idHash`, with its user (active or not), or undefined. */
export function findLiveSession(
  db: Db,
  idHash: string,
  clock: Clock,
): Promise<{ session: SessionRow; user: User } | undefined> {
  return db
    .select({ session: sessions, user: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.idHash, idHash), gt(sessions.expiresAt, clock.now())))
    .get()
}

export async function deleteSession(db: Db, idHash: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.idHash, idHash)).run()
}

/** Ends every session of a user: a statement to await, or to put in the D1 batch of the change that calls for it. */
export const deleteSessionsOf = (db: Db, userId: number) => db.delete(sessions).where(eq(sessions.userId, userId))
