/**
 * @module The admin commands that list, change and remove: their statements come from the store
 * layer (src/store/admin-queries.ts) and revocation from the token service (src/tokens/revoke-all.ts),
 * the code the Worker runs. A write is one D1 batch (revocation first, then the change), then the
 * revoked grants' KV records are deleted, so an old access token of a deactivated or deleted user
 * is refused at once.
 */
import { normalizeUsername } from '../../src/accounts/users'
import { type User, userByUsername } from '../../src/store/users'
import { findApplicationByClientId, listApplicationsOf } from '../../src/store/applications'
import {
  deleteMembership,
  selectApplications,
  selectGroupByName,
  selectGroups,
  selectLiveGrants,
  selectMemberships,
  selectUsers,
} from '../../src/store/admin-queries'
import { deleteGroupStatement, deleteUserStatement, updateUserStatement } from '../../src/store/admin-accounts'
import { deleteApplicationStatement } from '../../src/store/admin-oauth'
import { planRevokeAll, type RevokeAllPlan } from '../../src/tokens/revoke-all'
import type { BatchItem } from 'drizzle-orm/batch'
import { type Action, type Answer, type Command, type Options, required, type Write } from './action'
import type { Runner } from './runner'
import { UsageError } from './sql'

/** The user `--username` names (NFKC-normalised, as the API takes it); a UsageError when there is none. */
export async function userNamed(runner: Runner, opts: Options): Promise<User> {
  const username = normalizeUsername(required(opts, 'username'))
  const user = await userByUsername(runner.db, username).get()
  if (!user) throw new UsageError(`no user named "${username}"`)
  return user
}

/** The application `--client-id` names; a UsageError when there is none. */
export async function appWithClientId(runner: Runner, opts: Options) {
  const clientId = required(opts, 'client-id')
  const app = await findApplicationByClientId(runner.db, clientId)
  if (!app) throw new UsageError(`no application with client_id "${clientId}"`)
  return app
}

/** The group `--group` names; a UsageError when there is none. */
export async function groupNamed(runner: Runner, opts: Options) {
  const name = required(opts, 'group')
  const group = await selectGroupByName(runner.db, name).get()
  if (!group) throw new UsageError(`no group named "${name}"`)
  return group
}

const KV_NOTE =
  'note: this SQL revokes the grants in D1 only, which every reader of their access tokens checks; the ' +
  "tokens' KV records stay until they expire: run the command without --print-sql to delete them too"

/** Revocation plans first in the batch (a delete's cascade would hide the grants from them), then `change`. */
function withRevocation(
  plans: RevokeAllPlan[],
  change: BatchItem<'sqlite'>[],
  answer: (revoked: number) => Answer,
): Write {
  return {
    statements: [...plans.flatMap((p) => p.statements), ...change],
    printNote: plans.length ? KV_NOTE : undefined,
    async answer(results) {
      let revoked = 0
      let at = 0
      for (const plan of plans) {
        revoked += (await plan.afterCommit(results.slice(at))).revoked
        at += plan.statements.length
      }
      return answer(revoked)
    },
  }
}

const listUsers: Action = async (runner, opts) => {
  const search = typeof opts.search === 'string' ? opts.search : undefined
  const [users, memberships] = await runner.db.batch([selectUsers(runner.db, search), selectMemberships(runner.db)])
  return {
    users: users.map((u) => ({
      id: u.id,
      username: u.username,
      email: u.email,
      is_active: u.isActive,
      is_staff: u.isStaff,
      is_superuser: u.isSuperuser,
      groups: memberships.filter((m) => m.userId === u.id).map((m) => m.group),
    })),
  }
}

const listGroups: Action = async (runner) => {
  const [groups, memberships] = await runner.db.batch([selectGroups(runner.db), selectMemberships(runner.db)])
  return {
    groups: groups.map((g) => ({
      id: g.id,
      name: g.name,
      members: memberships.filter((m) => m.groupId === g.id).map((m) => m.username),
    })),
  }
}

const listApps: Action = async (runner) => ({
  applications: (await selectApplications(runner.db).all()).map((a) => ({
    client_id: a.clientId,
    name: a.name,
    owner: a.owner,
    client_type: a.clientType,
    grant_type: a.grantType,
    skip_authorization: a.skipAuthorization,
    // By a person (CLI, pages, admin site), or by itself: RFC 7591, or a Client ID Metadata Document.
    registration: a.registration,
  })),
})

const listTokens: Action = async (runner, opts) => {
  const userId = opts.username === undefined ? undefined : (await userNamed(runner, opts)).id
  const applicationId = opts['client-id'] === undefined ? undefined : (await appWithClientId(runner, opts)).id
  const grants = await selectLiveGrants(runner.db, runner.deps.clock, { userId, applicationId }).all()
  return {
    tokens: grants.map((g) => ({
      grant: g.id,
      username: g.username,
      client_id: g.clientId,
      scope: g.scope,
      issued: g.created,
      expires: g.expiresAt,
    })),
  }
}

const setActive =
  (active: boolean): Action =>
  async (runner, opts) => {
    const user = await userNamed(runner, opts)
    const change = [updateUserStatement(runner.db, user.id, { isActive: active })]
    // Deactivation ends the user's grants and sessions in the same batch (the admin site does the same).
    const plans = active ? [] : [planRevokeAll(runner.deps, { userId: user.id, endSessionsOf: user.id })]
    return withRevocation(plans, change, () => ({ username: user.username, is_active: active }))
  }

const deleteUser: Action = async (runner, opts) => {
  const user = await userNamed(runner, opts)
  // The user's own grants, and every grant to an application they own (the delete cascades to those
  // applications and their grant rows, which would leave the KV records of other users' tokens behind).
  const owned = await listApplicationsOf(runner.db, user.id)
  const plans = [
    planRevokeAll(runner.deps, { userId: user.id, endSessionsOf: user.id }),
    ...owned.map((a) => planRevokeAll(runner.deps, { applicationId: a.id })),
  ]
  return withRevocation(plans, [deleteUserStatement(runner.db, user.id)], () => ({
    username: user.username,
    deleted: true,
  }))
}

const deleteApp: Action = async (runner, opts) => {
  const app = await appWithClientId(runner, opts)
  // client_credentials tokens have no grant row: the bearer check reads the application, gone.
  return withRevocation(
    [planRevokeAll(runner.deps, { applicationId: app.id })],
    [deleteApplicationStatement(runner.db, app.id)],
    () => ({ client_id: app.clientId, deleted: true }),
  )
}

const deleteGroup: Action = async (runner, opts) => {
  const group = await groupNamed(runner, opts)
  // As the admin site: what hangs off a group (its members' grants) ends with it.
  return withRevocation(
    [planRevokeAll(runner.deps, { membersOf: group.id })],
    [deleteGroupStatement(runner.db, group.id)],
    () => ({ group: group.name, deleted: true }),
  )
}

const removeFromGroup: Action = async (runner, opts) => {
  const user = await userNamed(runner, opts)
  const group = await groupNamed(runner, opts)
  return {
    statements: [deleteMembership(runner.db, user.id, group.id)],
    answer: async ([removed]) => ({
      username: user.username,
      group: group.name,
      removed: (removed as unknown[]).length > 0,
    }),
  }
}

const revokeTokens: Action = async (runner, opts) => {
  const user = await userNamed(runner, opts)
  const applicationId = opts['client-id'] === undefined ? undefined : (await appWithClientId(runner, opts)).id
  return withRevocation([planRevokeAll(runner.deps, { userId: user.id, applicationId })], [], (revoked) => ({
    revoked,
  }))
}

const setStaff: Action = async (runner, opts) => {
  const user = await userNamed(runner, opts)
  const on = opts.off !== true
  // --superuser --off takes away superuser only; --off alone both (a superuser who is not staff cannot use /admin/).
  const flags =
    opts.superuser === true
      ? on
        ? { isStaff: true, isSuperuser: true }
        : { isSuperuser: false }
      : on
        ? { isStaff: true }
        : { isStaff: false, isSuperuser: false }
  const after = { isStaff: user.isStaff, isSuperuser: user.isSuperuser, ...flags }
  return {
    statements: [updateUserStatement(runner.db, user.id, flags)],
    answer: async () => ({ username: user.username, is_staff: after.isStaff, is_superuser: after.isSuperuser }),
  }
}

/** The commands of this module, with the options each takes. */
export const MANAGE_COMMANDS: Record<string, Command> = {
  listusers: { options: ['search'], action: listUsers },
  listgroups: { options: [], action: listGroups },
  listapps: { options: [], action: listApps },
  listtokens: { options: ['username', 'client-id'], action: listTokens },
  deactivateuser: { options: ['username'], action: setActive(false) },
  activateuser: { options: ['username'], action: setActive(true) },
  deleteuser: { options: ['username'], action: deleteUser },
  deleteapp: { options: ['client-id'], action: deleteApp },
  deletegroup: { options: ['group'], action: deleteGroup },
  removefromgroup: { options: ['username', 'group'], action: removeFromGroup },
  revoketokens: { options: ['username', 'client-id'], action: revokeTokens },
  setstaff: { options: ['username', 'superuser', 'off'], action: setStaff },
}
