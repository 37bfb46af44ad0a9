/** @module OAuth applications (clients) in D1. */
import { eq } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { applications } from '../../db/schema'

export type Application = typeof applications.$inferSelect
export type GrantType = Application['authorizationGrantType']
export type ClientType = Application['clientType']

export const GRANT_TYPES: readonly GrantType[] = ['authorization-code', 'password', 'client-credentials']
export const CLIENT_TYPES: readonly ClientType[] = ['confidential', 'public']

export function findApplicationByClientId(db: Db, clientId: string): Promise<Application | undefined> {
  return db.select().from(applications).where(eq(applications.clientId, clientId)).get()
}

export function findApplication(db: Db, id: number): Promise<Application | undefined> {
  return db.select().from(applications).where(eq(applications.id, id)).get()
}

export const redirectUriList = (app: Pick<Application, 'redirectUris'>) => app.redirectUris.split(/\s+/).filter(Boolean)
