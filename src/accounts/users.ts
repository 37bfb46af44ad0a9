/** @module Users and groups in D1. */
import { asc, eq, sql } from 'drizzle-orm'
import { type Db, preparedQuery } from '../db/client'
import { groups, users } from '../db/schema'

export type User = typeof users.$inferSelect
export type NewUser = typeof users.$inferInsert

/** The user named `username`, as a query (a D1 batch item); `findUserByUsername` runs it alone. */
export const userByUsername = (db: Db, username: string) => db.select().from(users).where(eq(users.username, username))

export const findUserByUsername = (db: Db, username: string): Promise<User | undefined> => userByUsername(db, username).get()

// Prepared once: this is the query behind every `GET /users/<pk>/`.
const userById = preparedQuery((db) => db.select().from(users).where(eq(users.id, sql.placeholder('id'))).prepare())

export const findUser = (db: Db, id: number): Promise<User | undefined> => userById(db).get({ id })

export const listUsers = (db: Db) => db.select().from(users).orderBy(asc(users.id))

export const listGroups = (db: Db) => db.select().from(groups).orderBy(asc(groups.id))

/** Django's UnicodeUsernameValidator: letters, digits and @/./+/-/_, at most 150 characters. */
export const USERNAME_PATTERN = /^[\p{L}\p{N}_.@+-]+$/u
export const USERNAME_MAX_LENGTH = 150
