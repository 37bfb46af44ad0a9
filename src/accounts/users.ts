/** @module Users and groups in D1, and what a username is. */
import { asc, eq, sql } from 'drizzle-orm'
import { type Db, preparedQuery } from '../db/client'
import { groups, users } from '../db/schema'

export type User = typeof users.$inferSelect
export type NewUser = typeof users.$inferInsert

/** The user named `username`, exactly (pass it through `normalizeUsername` first), as a query (a D1 batch item). */
export const userByUsername = (db: Db, username: string) => db.select().from(users).where(eq(users.username, username))

export const findUserByUsername = (db: Db, username: string): Promise<User | undefined> =>
  userByUsername(db, username).get()

// Prepared once: this is the query behind every `GET /users/<pk>/`.
const userById = preparedQuery((db) =>
  db
    .select()
    .from(users)
    .where(eq(users.id, sql.placeholder('id')))
    .prepare(),
)

export const findUser = (db: Db, id: number): Promise<User | undefined> => userById(db).get({ id })

export const listUsers = (db: Db) => db.select().from(users).orderBy(asc(users.id))

export const listGroups = (db: Db) => db.select().from(groups).orderBy(asc(groups.id))

/** Django's UnicodeUsernameValidator: letters, digits and @/./+/-/_, at most 150 characters. */
export const USERNAME_PATTERN = /^[\p{L}\p{N}_.@+-]+$/u
export const USERNAME_MAX_LENGTH = 150
export const INVALID_USERNAME =
  'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.'

/**
 * A username as it is stored and looked up: Unicode NFKC, as Django's
 * `AbstractBaseUser.normalize_username`, so that compatibility spellings (`ａｄｍｉｎ` fullwidth,
 * the `ﬁ` ligature, `²` superscript) are one name with their plain form, not a look-alike
 * account beside it. Applied wherever a username comes in (API, admin CLI, sign-in, password
 * grant) and before any check, so what is validated, compared and stored is the same string.
 */
export const normalizeUsername = (username: string): string => username.normalize('NFKC')

/**
 * Why a normalised username cannot be stored (undefined: it can), in DRF's words for the model
 * field. The length is counted after normalisation, in code points as Python does: NFKC can
 * lengthen a name (`ﷺ` is 18 characters) or shorten it (a letter and its combining accent).
 */
export function usernameProblem(username: string): string | undefined {
  if ([...username].length > USERNAME_MAX_LENGTH)
    return `Ensure this field has no more than ${USERNAME_MAX_LENGTH} characters.`
  if (!USERNAME_PATTERN.test(username)) return INVALID_USERNAME
  return undefined
}
