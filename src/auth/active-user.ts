/**
 * @module The token's user must still exist and be active. `bearerAuth()` reads KV only, and a
 * user deactivated or deleted in D1 (by the admin CLI, or by plain SQL in the D1 console) would
 * keep their access tokens for up to their 10 hours. So each route behind `requireUser()` checks
 * the user in D1, in the round trip it makes anyway: one more statement in its batch
 * (`batchAsActiveUser`), or a join in its one query (`refuseUnlessActive` on the joined column).
 * Only a route with no D1 query of its own pays a read for it (`requireActiveUser()`).
 * With `grantInD1` (the API, UserInfo), the same condition checks the token's grant: still live,
 * with this token as its current access token (`Actor.grant`), so D1, not the KV record, decides.
 */
import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { BatchItem, BatchResponse } from 'drizzle-orm/batch'
import type { AppEnv } from '../env'
import { type Actor, batchWithActiveFlag, findActiveFlag } from '../store/users'
import { BearerRefused } from './bearer'

/** The same refusal as for an unknown or revoked token: to the client the token is simply no longer good. */
const INVALID_TOKEN = { code: 'invalid_token', description: 'The access token is invalid.' } as const

/**
 * Throws 401 `invalid_token` (RFC 6750 §3.1) unless the token's user, as D1 has it now, exists
 * and is active (and the token's grant is current, which the statements check with the user: no
 * row otherwise). `user` is the row read for the check: undefined or null when there is none.
 * Passing confirms the token's grant for the bearer middleware.
 */
export function refuseUnlessActive(c: Context<AppEnv>, user: { isActive: boolean | null } | null | undefined): void {
  if (user?.isActive !== true) throw new BearerRefused(401, INVALID_TOKEN)
  const auth = c.get('auth')
  if (auth.grantToConfirm !== null) c.set('auth', { ...auth, grantToConfirm: null })
}

/**
 * The token's user as the statements check them (with the grant to confirm, if any), after
 * `requireUser()`; a token for no user fails closed.
 */
export function tokenActor(c: Context<AppEnv>): Actor {
  const { userId, grantToConfirm } = c.get('auth')
  if (userId === null) throw new BearerRefused(401, INVALID_TOKEN)
  return { id: userId, grant: grantToConfirm }
}

/**
 * Runs the route's own queries in one D1 batch behind the check of the token's user, and returns
 * their results; refuses (401) before the caller sees any of them if the user is gone or inactive.
 * One round trip, as the route's queries alone: the check is one primary-key read in it.
 *
 * @example
 * const [rows] = await batchAsActiveUser(c, [listGroups(db)])
 */
export async function batchAsActiveUser<T extends readonly BatchItem<'sqlite'>[]>(
  c: Context<AppEnv>,
  queries: T,
): Promise<BatchResponse<T>> {
  const [user, results] = await batchWithActiveFlag(c.get('db'), tokenActor(c), queries)
  refuseUnlessActive(c, user)
  return results
}

/**
 * Runs a list that always holds the token's user when that user is active (every user, say), as
 * one statement that returns no row unless the user exists and is active: an empty answer is the
 * refusal. The same guarantee as `batchAsActiveUser` without a batch, which cost the plain list of
 * 1,000 users a fifth of its throughput (docs/performance.md).
 */
export async function rowsAsActiveUser<Row>(
  c: Context<AppEnv>,
  list: (seenBy: Actor) => Promise<Row[]>,
): Promise<Row[]> {
  const rows = await list(tokenActor(c))
  refuseUnlessActive(c, rows.length === 0 ? undefined : { isActive: true })
  return rows
}

/**
 * A page of such a list and its COUNT, the count as seen by the token's user (0 unless they exist
 * and are active, `pageSeenBy` reads both in one D1 batch): a count of 0 is the refusal, so no
 * third statement is needed.
 */
export async function pageAsActiveUser<Row>(
  c: Context<AppEnv>,
  pageSeenBy: (seenBy: Actor) => Promise<{ total: number; rows: Row[] }>,
): Promise<{ total: number; rows: Row[] }> {
  const page = await pageSeenBy(tokenActor(c))
  refuseUnlessActive(c, page.total === 0 ? undefined : { isActive: true })
  return page
}

/** Middleware for a route that reads nothing from D1 itself: the check on its own, one primary-key read. */
export const requireActiveUser = () =>
  createMiddleware<AppEnv>(async function requireActiveUser(c, next) {
    refuseUnlessActive(c, await findActiveFlag(c.get('db'), tokenActor(c)))
    await next()
  })
