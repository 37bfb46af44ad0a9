/**
 * @module The admin's groups (Django's /admin/auth/group/): list, add, change (name, members),
 * delete. Deleting a group revokes its members' grants in the same batch (the issue's rule: what
 * hangs off it ends with it), and says so on the confirmation page.
 */
import { Hono, type Context } from 'hono'
import type { AppEnv } from '../../env'
import { log } from '../../log'
import {
  deleteGroupStatement,
  existingUserIds,
  groupForAdmin,
  groupIdByName,
  insertGroupStatement,
  isUniqueViolation,
  renameGroupStatement,
  searchGroups,
  setGroupMembersStatements,
} from '../../store/admin-accounts'
import { adminActionsOn, logAdminAction } from '../../store/admin-log'
import { tokenDepsFor } from '../../tokens/deps'
import { planRevokeAll } from '../../tokens/revoke-all'
import { methodNotAllowed } from '../views/error'
import { ConfirmDeletePage } from '../views/admin/parts'
import { GroupFormPage, GroupListPage } from '../views/admin/groups'
import type { FormErrors } from '../views/admin/users'
import { actorOf, adminForm, csrfRefused, idsOf, missing, pageOf, pathId } from './guard'

export const adminGroupRoutes = new Hono<AppEnv>()
const BASE = '/admin/auth/group'
const TAKEN = ['Group with this Name already exists.']

/** A group name as Django's field takes it: required, at most 150 characters. */
function nameOf(form: URLSearchParams, errors: FormErrors): string {
  const name = (form.get('name') ?? '').trim()
  if (!name) errors.name = ['This field is required.']
  else if ([...name].length > 150) errors.name = ['Ensure this value has at most 150 characters.']
  return name
}

adminGroupRoutes.get(`${BASE}/`, async (c) => {
  const page = pageOf(c)
  const { total, rows } = await searchGroups(c.get('db'), c.req.query('q') ?? '', page)
  const notice = c.req.query('deleted') !== undefined ? 'The group was deleted.' : undefined
  const query = new URL(c.req.url).searchParams
  return c.html(
    <GroupListPage session={c.get('session')!} rows={rows} total={total} page={page} query={query} notice={notice} />,
  )
})

adminGroupRoutes.get(`${BASE}/:id/`, (c) => {
  if (c.req.param('id') === 'add') return c.html(<GroupFormPage session={c.get('session')!} name="" />)
  const id = pathId(c)
  return id ? c.redirect(`${BASE}/${id}/change/`, 302) : missing(c, 'Group')
})

adminGroupRoutes.post(`${BASE}/:id/`, async (c) => {
  if (c.req.param('id') !== 'add') return methodNotAllowed('GET, HEAD')(c)
  const form = await adminForm(c)
  if (!form) return csrfRefused(c)
  const errors: FormErrors = {}
  const name = nameOf(form, errors)
  const render = () => c.html(<GroupFormPage session={c.get('session')!} name={name} errors={errors} />, 400)
  if (Object.keys(errors).length) return render()
  const db = c.get('db')
  try {
    const [[group]] = await db.batch([
      insertGroupStatement(db, name),
      logAdminAction(db, {
        actor: actorOf(c),
        objectType: 'group',
        objectId: groupIdByName(db, name),
        objectRepr: name,
        action: 'add',
      }),
    ])
    return c.redirect(`${BASE}/${group!.id}/change/?added`, 303)
  } catch (err) {
    if (!isUniqueViolation(err)) throw err
    errors.name = TAKEN
    return render()
  }
})

const groupOfPath = async (c: Context<AppEnv>) => {
  const id = pathId(c)
  return id === undefined ? undefined : groupForAdmin(c.get('db'), id)
}

async function changePage(
  c: Context<AppEnv>,
  found: NonNullable<Awaited<ReturnType<typeof groupForAdmin>>>,
  status: 200 | 400 = 200,
  errors?: FormErrors,
  name = found.group.name,
) {
  const notice =
    c.req.query('added') !== undefined
      ? 'The group was added. You may edit it again below.'
      : c.req.query('saved') !== undefined
        ? 'The group was changed.'
        : undefined
  return c.html(
    <GroupFormPage
      session={c.get('session')!}
      group={found.group}
      name={name}
      users={found.users}
      memberIds={found.memberIds}
      history={await adminActionsOn(c.get('db'), 'group', found.group.id)}
      errors={errors}
      notice={notice}
    />,
    status,
  )
}

adminGroupRoutes.get(`${BASE}/:id/change/`, async (c) => {
  const found = await groupOfPath(c)
  return found ? changePage(c, found) : missing(c, 'Group')
})

adminGroupRoutes.post(`${BASE}/:id/change/`, async (c) => {
  const form = await adminForm(c)
  if (!form) return csrfRefused(c)
  const found = await groupOfPath(c)
  if (!found) return missing(c, 'Group')
  const errors: FormErrors = {}
  const name = nameOf(form, errors)
  const memberIds = idsOf(form, 'members')
  if (!memberIds || (await existingUserIds(c.get('db'), memberIds)).length !== memberIds.length)
    errors.members = ['Select a valid choice.']
  if (Object.keys(errors).length) return changePage(c, found, 400, errors, name)
  const added = memberIds!.filter((id) => !found.memberIds.includes(id)).length
  const removed = found.memberIds.filter((id) => !memberIds!.includes(id)).length
  const message = [
    ...(name !== found.group.name ? ['Changed name.'] : []),
    ...(added ? [`Added ${added} member(s).`] : []),
    ...(removed ? [`Removed ${removed} member(s).`] : []),
  ].join(' ')
  const db = c.get('db')
  try {
    await db.batch([
      renameGroupStatement(db, found.group.id, name),
      ...setGroupMembersStatements(db, found.group.id, memberIds!),
      logAdminAction(db, {
        actor: actorOf(c),
        objectType: 'group',
        objectId: found.group.id,
        objectRepr: name,
        action: 'change',
        message: message || 'No fields changed.',
      }),
    ])
  } catch (err) {
    if (!isUniqueViolation(err)) throw err
    errors.name = TAKEN
    return changePage(c, found, 400, errors, name)
  }
  return c.redirect(`${BASE}/${found.group.id}/change/?saved`, 303)
})

adminGroupRoutes.get(`${BASE}/:id/delete/`, async (c) => {
  const found = await groupOfPath(c)
  if (!found) return missing(c, 'Group')
  return c.html(
    <ConfirmDeletePage
      session={c.get('session')!}
      kind="group"
      name={found.group.name}
      listUrl={[`${BASE}/`, 'Groups']}
      action={`${BASE}/${found.group.id}/delete/`}
      cancel={`${BASE}/${found.group.id}/change/`}
      consequences={
        <p>
          The group’s {found.memberIds.length} member(s) stay, but every token they hold is revoked at once: their
          applications must ask them again.
        </p>
      }
    />,
  )
})

adminGroupRoutes.post(`${BASE}/:id/delete/`, async (c) => {
  const form = await adminForm(c)
  if (!form) return csrfRefused(c)
  const found = await groupOfPath(c)
  if (!found) return missing(c, 'Group')
  const db = c.get('db')
  const actor = actorOf(c)
  // Before the delete, whose cascade removes the memberships the revocation selects by.
  const plan = planRevokeAll(tokenDepsFor(c.env, db), { membersOf: found.group.id })
  const results = await db.batch([
    ...plan.statements,
    logAdminAction(db, {
      actor,
      objectType: 'group',
      objectId: found.group.id,
      objectRepr: found.group.name,
      action: 'delete',
    }),
    deleteGroupStatement(db, found.group.id),
  ] as unknown as Parameters<typeof db.batch>[0])
  const { revoked } = await plan.afterCommit(results)
  log(c, 'info', { event: 'admin_group_deleted', groupId: found.group.id, actorId: actor.id, revoked })
  return c.redirect(`${BASE}/?deleted`, 303)
})

for (const [path, allow] of [
  [`${BASE}/`, 'GET, HEAD'],
  [`${BASE}/:id/change/`, 'GET, HEAD, POST'],
  [`${BASE}/:id/delete/`, 'GET, HEAD, POST'],
] as const)
  adminGroupRoutes.all(path, methodNotAllowed(allow))
