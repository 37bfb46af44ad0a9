/** @module OAuth applications (clients) in D1. */
import { and, asc, eq, sql } from 'drizzle-orm'
import { type Db, preparedQuery } from '../db/client'
import type { SQLiteUpdateSetSource } from 'drizzle-orm/sqlite-core'
import { applications } from '../db/schema'

export type Application = typeof applications.$inferSelect
export type GrantType = Application['authorizationGrantType']
export type ClientType = Application['clientType']

export const GRANT_TYPES: readonly GrantType[] = ['authorization-code', 'password', 'client-credentials']
export const CLIENT_TYPES: readonly ClientType[] = ['confidential', 'public']

// Prepared once: client authentication runs on every token, revocation and introspection request.
const byClientId = preparedQuery((db) =>
  db
    .select()
    .from(applications)
    .where(eq(applications.clientId, sql.placeholder('clientId')))
    .prepare(),
)
const byId = preparedQuery((db) =>
  db
    .select()
    .from(applications)
    .where(eq(applications.id, sql.placeholder('id')))
    .prepare(),
)

export function findApplicationByClientId(db: Db, clientId: string): Promise<Application | undefined> {
  return byClientId(db).get({ clientId })
}

export function findApplication(db: Db, id: number): Promise<Application | undefined> {
  return byId(db).get({ id })
}

/** The items of a space-separated list column (redirect URIs, allowed origins); any whitespace is accepted. */
const listItems = (value: string) => value.split(/\s+/).filter(Boolean)

/** The redirect URIs an application registered. */
export const redirectUriList = (app: Pick<Application, 'redirectUris'>) => listItems(app.redirectUris)

/** The origins an application lists for CORS (src/auth/cors.ts). */
export const allowedOriginList = (app: Pick<Application, 'allowedOrigins'>) => listItems(app.allowedOrigins)

/**
 * The fields an owner edits on the self-service application pages. Not `skipAuthorization`: an
 * application that skips consent gets codes for any signed-in user who follows its link (RFC 6749
 * §10.2), so only an administrator sets it (`npm run admin -- createapp --skip-authorization`).
 */
export type ApplicationFields = Pick<
  Application,
  'name' | 'clientType' | 'authorizationGrantType' | 'redirectUris' | 'allowedOrigins'
>

/** The applications a user registered, oldest first. */
export function listApplicationsOf(db: Db, userId: number): Promise<Application[]> {
  return db.select().from(applications).where(eq(applications.userId, userId)).orderBy(asc(applications.id)).all()
}

/** One of the user's own applications; undefined for anyone else's, so others' apps stay invisible. */
export function findOwnApplication(db: Db, userId: number, id: number): Promise<Application | undefined> {
  return db
    .select()
    .from(applications)
    .where(and(eq(applications.id, id), eq(applications.userId, userId)))
    .get()
}

export function insertApplication(db: Db, values: typeof applications.$inferInsert): Promise<Application> {
  return db.insert(applications).values(values).returning().get()
}

export async function updateApplication(
  db: Db,
  id: number,
  values: SQLiteUpdateSetSource<typeof applications>,
): Promise<void> {
  await db
    .update(applications)
    .set({ ...values, updated: sql`(unixepoch())` })
    .where(eq(applications.id, id))
    .run()
}

/**
 * Whether a client_credentials token is still honoured: its application exists and its secret is
 * the one the token was issued under. Such a token has no grant row to revoke, so this is what
 * ends it (deleting the application, a new secret), read with the row the caller already needs.
 * A record from before generations were kept counts as generation 0, the column's default.
 */
export function isClientTokenCurrent(app: Application | undefined, token: { secretGeneration?: number }): boolean {
  return app !== undefined && app.secretGeneration === (token.secretGeneration ?? 0)
}

/** Deletes the application row; its grants and codes go with it (ON DELETE CASCADE). */
export async function deleteApplication(db: Db, id: number): Promise<void> {
  await db.delete(applications).where(eq(applications.id, id)).run()
}

/** Whether any application lists `origin` (a serialized origin) among its allowed origins. */
export function anyApplicationListsOrigin(db: Db, origin: string): Promise<boolean> {
  // instr, not LIKE: an origin holds no wildcard to escape this way. Whitespace is normalised first.
  const spaced = sql`replace(replace(replace(${applications.allowedOrigins}, char(9), ' '), char(10), ' '), char(13), ' ')`
  const list = sql`' ' || ${spaced} || ' '`
  return db
    .select({ id: applications.id })
    .from(applications)
    .where(sql`instr(${list}, ${` ${origin} `}) > 0`)
    .limit(1)
    .get()
    .then((row) => row !== undefined)
}

/** Who registered a client (the `registration` column). */
export type Registration = Application['registration']

/**
 * Records that a self-registered client was used, at most once a day (what the cron's
 * unused-client cleanup reads): a manual client, or one used today already, costs no write.
 */
export async function noteApplicationUse(db: Db, app: Application, now: number): Promise<void> {
  if (app.registration === 'manual' || (app.lastUsedAt ?? 0) > now - 86_400) return
  await db.update(applications).set({ lastUsedAt: now }).where(eq(applications.id, app.id)).run()
}

/**
 * The row for a Client ID Metadata Document client, inserted or brought up to date with what the
 * document says. Never touches a row of another kind that somehow has the same client_id.
 */
export function upsertDocumentClient(
  db: Db,
  values: Omit<typeof applications.$inferInsert, 'registration'>,
): Promise<Application | undefined> {
  const { clientId: _, ...changes } = values
  return db
    .insert(applications)
    .values({ ...values, registration: 'metadata-document' })
    .onConflictDoUpdate({
      target: applications.clientId,
      set: { ...changes, updated: sql`(unixepoch())` },
      setWhere: eq(applications.registration, 'metadata-document'),
    })
    .returning()
    .get()
}
