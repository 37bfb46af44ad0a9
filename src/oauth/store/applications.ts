/** @module OAuth applications (clients) in D1. */
import { and, asc, eq, sql } from 'drizzle-orm'
import { type Db, preparedQuery } from '../../db/client'
import { applications } from '../../db/schema'

export type Application = typeof applications.$inferSelect
export type GrantType = Application['authorizationGrantType']
export type ClientType = Application['clientType']

export const GRANT_TYPES: readonly GrantType[] = ['authorization-code', 'password', 'client-credentials']
export const CLIENT_TYPES: readonly ClientType[] = ['confidential', 'public']

// Prepared once: client authentication runs on every token, revocation and introspection request.
const byClientId = preparedQuery((db) =>
  db.select().from(applications).where(eq(applications.clientId, sql.placeholder('clientId'))).prepare(),
)
const byId = preparedQuery((db) => db.select().from(applications).where(eq(applications.id, sql.placeholder('id'))).prepare())

export function findApplicationByClientId(db: Db, clientId: string): Promise<Application | undefined> {
  return byClientId(db).get({ clientId })
}

export function findApplication(db: Db, id: number): Promise<Application | undefined> {
  return byId(db).get({ id })
}

export const redirectUriList = (app: Pick<Application, 'redirectUris'>) => app.redirectUris.split(/\s+/).filter(Boolean)

/** The fields a person edits on the application pages. */
export type ApplicationFields = Pick<
  Application,
  'name' | 'clientType' | 'authorizationGrantType' | 'redirectUris' | 'allowedOrigins' | 'skipAuthorization'
>

/** The applications a user registered, oldest first. */
export function listApplicationsOf(db: Db, userId: number): Promise<Application[]> {
  return db.select().from(applications).where(eq(applications.userId, userId)).orderBy(asc(applications.id)).all()
}

/** One of the user's own applications; undefined for anyone else's, so others' apps stay invisible. */
export function findOwnApplication(db: Db, userId: number, id: number): Promise<Application | undefined> {
  return db.select().from(applications).where(and(eq(applications.id, id), eq(applications.userId, userId))).get()
}

export function insertApplication(db: Db, values: typeof applications.$inferInsert): Promise<Application> {
  return db.insert(applications).values(values).returning().get()
}

export async function updateApplication(db: Db, id: number, values: Partial<typeof applications.$inferInsert>): Promise<void> {
  await db.update(applications).set({ ...values, updated: sql`(unixepoch())` }).where(eq(applications.id, id)).run()
}

/** Deletes the application row; its grants and codes go with it (ON DELETE CASCADE). */
export async function deleteApplication(db: Db, id: number): Promise<void> {
  await db.delete(applications).where(eq(applications.id, id)).run()
}
