/**
 * @module Users in D1: the lookups by name and id, the API's list and creation, the check that a
 * token's user is still there and active, and what signing in and changing a password write.
 */
import { type AnyColumn, and, asc, count, eq, exists, sql } from 'drizzle-orm'
import type { BatchItem, BatchResponse } from 'drizzle-orm/batch'
import { alias } from 'drizzle-orm/sqlite-core'
import { type Db, preparedQuery } from '../db/client'
import { sessions, users } from '../db/schema'
import type { Clock } from '../clock'
import { grantIsCurrent } from './families'

export type User = typeof users.$inferSelect

/** The user named `username`, exactly (pass it through `normalizeUsername` first), as a query (a D1 batch item). */
export const userByUsername = (db: Db, username: string) => db.select().from(users).where(eq(users.username, username))

// Prepared once: the authorization code exchange and UserInfo read the user by id.
const userById = preparedQuery((db) =>
  db
    .select()
    .from(users)
    .where(eq(users.id, sql.placeholder('id')))
    .prepare(),
)

export const findUser = (db: Db, id: number): Promise<User | undefined> => userById(db).get({ id })

/** Every user, by id: the ordered select the API pages with LIMIT/OFFSET. */
export const listUsers = (db: Db) => db.select().from(users).orderBy(asc(users.id))

/** The number of users, as a query (a D1 batch item beside a page of them). */
export const countUsers = (db: Db) => db.select({ n: count() }).from(users)

/**
 * The user a bearer token acts for, as the API's statements check them: `id`, and the token's
 * `grant`, which D1 must still hold with that token current (`grantIsCurrent`); null for a token
 * that names no grant.
 */
export type Actor = { id: number; grant: { id: string; accessHash: string } | null }

/** The actor's grant condition on the column holding their id, with values or with the statement's placeholders. */
const actorGrantIsCurrent = (db: Db, userId: AnyColumn, actor: Actor | 'placeholders') =>
  actor === 'placeholders'
    ? grantIsCurrent(db, userId, sql.placeholder('grant'), sql.placeholder('accessHash'))
    : actor.grant === null
      ? undefined
      : grantIsCurrent(db, userId, actor.grant.id, actor.grant.accessHash)

/** A prepared statement's values for the actor: their id, and their grant's or nulls. */
const actorValues = (actor: Actor) => ({
  actor: actor.id,
  grant: actor.grant?.id ?? null,
  accessHash: actor.grant?.accessHash ?? null,
})

/**
 * Runs `queries` in one D1 batch behind a read of the actor's `is_active` flag (one primary-key
 * read): the flag's row (none when the user is gone, or the actor's grant is not current), then
 * each query's result.
 */
export async function batchWithActiveFlag<T extends readonly BatchItem<'sqlite'>[]>(
  db: Db,
  actor: Actor,
  queries: T,
): Promise<[{ isActive: boolean } | undefined, BatchResponse<T>]> {
  const activeFlag = db
    .select({ isActive: users.isActive })
    .from(users)
    .where(and(eq(users.id, actor.id), actorGrantIsCurrent(db, users.id, actor)))
  const [flags, ...results] = (await db.batch([activeFlag, ...queries])) as unknown[]
  return [(flags as { isActive: boolean }[])[0], results as BatchResponse<T>]
}

// Prepared once: the check of the routes that have no query of their own (OPTIONS, 405).
const activeFlagById = preparedQuery((db) =>
  db
    .select({ isActive: users.isActive })
    .from(users)
    .where(and(eq(users.id, sql.placeholder('actor')), actorGrantIsCurrent(db, users.id, 'placeholders')))
    .prepare(),
)

/** The actor's `is_active` flag, or undefined when the user is gone or the grant not current: one primary-key read. */
export const findActiveFlag = (db: Db, actor: Actor): Promise<{ isActive: boolean } | undefined> =>
  activeFlagById(db).get(actorValues(actor))

const actor = alias(users, 'actor')

// Prepared once: the query behind every `GET /users/<pk>/`. The token's user (`actor`) and the
// user asked for in one statement: a row exactly when the actor exists (with their grant current, for
// a token read from its claims), `user` null for no such pk.
const userSeenByQuery = preparedQuery((db) =>
  db
    .select({ actorActive: actor.isActive, user: users })
    .from(actor)
    .leftJoin(users, eq(users.id, sql.placeholder('pk')))
    .where(and(eq(actor.id, sql.placeholder('actor')), actorGrantIsCurrent(db, actor.id, 'placeholders')))
    .prepare(),
)

/**
 * The user `pk` (null: none) as the token's user sees it, in one statement: undefined when the
 * actor is gone (or their grant is not current), else whether the actor is active and the user
 * asked for (null if none).
 */
export const userSeenBy = (db: Db, pk: number | null, seenBy: Actor) =>
  userSeenByQuery(db).get({ pk, ...actorValues(seenBy) })

/**
 * True exactly while the token's user exists and is active (and their grant current, for a token
 * read from its claims). They are one of the users, so the user list and its count under this
 * condition are empty only when the token must be refused.
 */
const activeActor = (db: Db, seenBy: Actor | 'placeholders') =>
  exists(
    db
      .select({ one: sql`1` })
      .from(actor)
      .where(
        and(
          eq(actor.id, seenBy === 'placeholders' ? sql.placeholder('actor') : seenBy.id),
          eq(actor.isActive, true),
          actorGrantIsCurrent(db, actor.id, seenBy),
        ),
      ),
  )

// Prepared once: the plain `GET /users/`, every user, as seen by the token's user.
const usersSeenByQuery = preparedQuery((db) =>
  db.select().from(users).where(activeActor(db, 'placeholders')).orderBy(asc(users.id)).prepare(),
)

/** Every user, by id, as the token's user sees them: no row at all unless that user exists and is active. */
export const usersSeenBy = (db: Db, seenBy: Actor): Promise<User[]> => usersSeenByQuery(db).all(actorValues(seenBy))

/**
 * A page of the users and their number as the token's user sees them, in one D1 batch: a count
 * of 0 (and no rows) unless that user exists and is active.
 */
export async function pageOfUsersSeenBy(
  db: Db,
  seenBy: Actor,
  limit: number,
  offset: number,
): Promise<{ total: number; rows: User[] }> {
  const [counts, rows] = await db.batch([
    db.select({ n: count() }).from(users).where(activeActor(db, seenBy)),
    listUsers(db).limit(limit).offset(offset),
  ])
  return { total: counts[0]?.n ?? 0, rows }
}

/**
 * The insert of a user that does nothing when the username is taken (a statement: it returns the
 * row, or none). The unique index decides between concurrent creations of one username: exactly
 * one wins, and the statement pasted twice inserts once.
 */
export const insertUserUnlessTakenStatement = (db: Db, values: typeof users.$inferInsert) =>
  db.insert(users).values(values).onConflictDoNothing({ target: users.username }).returning()

/** Inserts a user unless the username is taken; undefined when it is (insertUserUnlessTakenStatement). */
export function insertUserUnlessTaken(db: Db, values: typeof users.$inferInsert): Promise<User | undefined> {
  return insertUserUnlessTakenStatement(db, values).get()
}

/** Records a successful sign-in (Django's `last_login`). */
export async function recordSignIn(db: Db, userId: number, clock: Clock): Promise<void> {
  await db.update(users).set({ lastLogin: clock.now() }).where(eq(users.id, userId)).run()
}

/**
 * The statements that set a new password hash and end every session of the user, for one D1
 * batch: never a new password with the old sessions still alive. The second returns the sessions
 * it ended.
 */
export const replacePasswordStatements = (db: Db, userId: number, passwordHash: string) =>
  [
    db.update(users).set({ password: passwordHash }).where(eq(users.id, userId)),
    db.delete(sessions).where(eq(sessions.userId, userId)).returning({ idHash: sessions.idHash }),
  ] as const

/** Sets a new password hash and ends every session of the user, in one D1 batch; the number of sessions ended. */
export async function replacePassword(db: Db, userId: number, passwordHash: string): Promise<number> {
  const [, ended] = await db.batch(replacePasswordStatements(db, userId, passwordHash))
  return ended.length
}
