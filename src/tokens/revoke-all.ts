/**
 * @module Revoking everything that hangs off a user, an application or a group's members, from
 * plain inputs, for the admin site, the admin CLI and a client deleting its own registration
 * (RFC 7592 §2.3). The D1 part is handed to the caller as batch statements, so that it commits in
 * the same batch as the change that calls for it (a user deactivated or deleted, an application or
 * group deleted): either both happen or neither. KV has
 * no transactions, so the revoked grants' access token records are deleted after the batch
 * commits; by then D1 refuses every refresh of those grants and every reader of their access
 * tokens (each asks D1 about the grant), so a record a racing rotation stores after this is inert.
 *
 * client_credentials tokens have no grant row: deleting their application ends them (the token
 * endpoint's bearer check reads the application: isClientTokenCurrent), so nothing here lists them.
 */
import type { BatchItem } from 'drizzle-orm/batch'
import { type GrantSelection, type RevokedGrant, revokeFamiliesWhere } from '../store/families'
import { deleteSessionsOf } from '../store/sessions'
import type { TokenDeps } from './deps'
import { endGrantTokens } from './service'

/** What to end: the live grants selected (every condition given must hold), and optionally a user's sessions. */
export type RevokeAllTarget = GrantSelection & {
  /** Also end this user's web sessions (a user deactivated or deleted). */
  endSessionsOf?: number
}

/** The D1 statements to run first in the caller's batch, and what to do once it has committed. */
export type RevokeAllPlan = {
  /** Put these at the START of the batch: a later delete's cascade would hide the grants from them. */
  statements: [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]
  /**
   * Given the batch's results (the plan's statements first), deletes the revoked grants' access
   * tokens from KV and says how many grants were revoked.
   */
  afterCommit(results: readonly unknown[]): Promise<{ revoked: number }>
}

// At most this many grants' KV deletes at a time: a user with thousands of grants must not open
// thousands of subrequests at once.
const KV_CONCURRENCY = 20

/** Deletes the access token records of grants just marked revoked in D1. */
async function endTokensOf(deps: TokenDeps, grants: readonly RevokedGrant[]): Promise<void> {
  for (let i = 0; i < grants.length; i += KV_CONCURRENCY) {
    await Promise.all(grants.slice(i, i + KV_CONCURRENCY).map((grant) => endGrantTokens(deps, grant)))
  }
}

/**
 * Plans the revocation of the live grants each target selects (one statement per target; a grant
 * two targets select is revoked and counted once), and the sessions `endSessionsOf` names.
 * Nothing happens until the caller runs `statements` at the start of its batch and passes the
 * batch's results to `afterCommit`.
 *
 * @example
 * const plan = planRevokeAll(deps, { userId: user.id, endSessionsOf: user.id })
 * const results = await deps.db.batch([...plan.statements, setInactive(deps.db, user.id)])
 * await plan.afterCommit(results)
 */
export function planRevokeAll(deps: TokenDeps, target: RevokeAllTarget, ...more: GrantSelection[]): RevokeAllPlan {
  const { endSessionsOf, ...selection } = target
  const revokes = [selection, ...more].map((s) => revokeFamiliesWhere(deps.db, s, deps.clock))
  const statements: RevokeAllPlan['statements'] = [revokes[0]!, ...revokes.slice(1)]
  if (endSessionsOf !== undefined) statements.push(deleteSessionsOf(deps.db, endSessionsOf))
  return {
    statements,
    async afterCommit(results) {
      const revoked = results.slice(0, revokes.length).flat() as RevokedGrant[]
      await endTokensOf(deps, revoked)
      return { revoked: revoked.length }
    },
  }
}

/** Revokes the `target`'s live grants (and sessions) on their own, as one batch; how many grants. */
export async function revokeAll(
  deps: TokenDeps,
  target: RevokeAllTarget,
  ...more: GrantSelection[]
): Promise<{ revoked: number }> {
  const plan = planRevokeAll(deps, target, ...more)
  return plan.afterCommit(await deps.db.batch(plan.statements))
}
