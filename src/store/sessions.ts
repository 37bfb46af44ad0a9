/** @module Browser sessions in D1 (the cookie's side: src/web/session.ts). */
import { eq } from 'drizzle-orm'
import type { Db } from '../db/client'
import { sessions } from '../db/schema'

/** Ends every session of a user, as a statement for the D1 batch of the change that calls for it. */
export const deleteSessionsOf = (db: Db, userId: number) => db.delete(sessions).where(eq(sessions.userId, userId))
