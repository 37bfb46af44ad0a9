/**
 * @module The admin's users (Django's /admin/auth/user/): list, add, change, set password, delete.
 * Every change is one D1 batch with its log entry; deactivating or deleting a user also revokes
 * every grant they hold and ends their sessions in that batch (src/tokens/revoke-all.ts), and
 * deleting them revokes the grants to the applications they own, which go with them.
 */
import { Hono, type Context } from 'hono'
import type { AppEnv } from '../../env'
import { log } from '../../log'
import { hashPassword } from '../../crypto/password'
import { normalizeUsername, usernameProblem } from '../../accounts/users'
import { passwordProblems, type PasswordOwner } from '../../accounts/passwords'
import { isValidEmail } from '../../accounts/email'
import {
  type AdminUser,
  deleteUserStatement,
  existingGroupIds,
  insertUserStatement,
  isUniqueViolation,
  searchUsers,
  setUserGroupsStatements,
  updateUserStatement,
  userForAdmin,
  userIdByUsername,
} from '../../store/admin-accounts'
import { adminActionsOn, logAdminAction } from '../../store/admin-log'
import { deleteSessionsOf } from '../../store/sessions'
import { tokenDepsFor } from '../../tokens/deps'
import { planRevokeAll } from '../../tokens/revoke-all'
import { methodNotAllowed } from '../views/error'
import { ConfirmDeletePage } from '../views/admin/parts'
import { type FormErrors, UserAddPage, UserChangePage, UserListPage, UserPasswordPage } from '../views/admin/users'
import { actorOf, adminForm, csrfRefused, idsOf, mayManage, missing, pageOf, pathId, superuserOnly } from './guard'

export const adminUserRoutes = new Hono<AppEnv>()
const BASE = '/admin/auth/user'

const flag = (value: string | undefined) => (value === '1' ? true : value === '0' ? false : undefined)

adminUserRoutes.get(`${BASE}/`, async (c) => {
  const query = new URL(c.req.url).searchParams
  const page = pageOf(c)
  const filter = {
    q: c.req.query('q') ?? '',
    isActive: flag(c.req.query('is_active__exact')),
    isStaff: flag(c.req.query('is_staff__exact')),
  }
  const { total, rows } = await searchUsers(c.get('db'), filter, page)
  const notice = c.req.query('deleted') !== undefined ? 'The user was deleted.' : undefined
  return c.html(
    <UserListPage session={c.get('session')!} rows={rows} total={total} page={page} query={query} notice={notice} />,
  )
})

/** The two password fields' errors (password1 by the validators, password2 must match it). */
function passwordErrors(owner: PasswordOwner, form: URLSearchParams): FormErrors {
  const errors: FormErrors = {}
  const password1 = form.get('password1') ?? ''
  const password2 = form.get('password2') ?? ''
  const problems = passwordProblems(owner, password1)
  if (problems.length) errors.password1 = problems
  if (!password2) errors.password2 = ['This field is required.']
  else if (password1 && password1 !== password2) errors.password2 = ['The two password fields didn’t match.']
  return errors
}

/** A forged form: a staff user who is not a superuser sent a privilege field the page never shows them. */
const forgesPrivileges = (c: Context<AppEnv>, form: URLSearchParams) =>
  !actorOf(c).isSuperuser && (form.has('is_staff') || form.has('is_superuser'))

// `add/` and `<id>/` share one route: a fixed segment beside a parameter would put the whole app on
// Hono's slower router (see src/web/applications.ts). Django's `<id>/` goes on to `<id>/change/`.
adminUserRoutes.get(`${BASE}/:id/`, (c) => {
  if (c.req.param('id') === 'add') return c.html(<UserAddPage session={c.get('session')!} />)
  const id = pathId(c)
  return id ? c.redirect(`${BASE}/${id}/change/`, 302) : missing(c, 'User')
})

adminUserRoutes.post(`${BASE}/:id/`, async (c) => {
  if (c.req.param('id') !== 'add') return methodNotAllowed('GET, HEAD')(c)
  const form = await adminForm(c)
  if (!form) return csrfRefused(c)
  if (forgesPrivileges(c, form)) return superuserOnly(c)
  const username = normalizeUsername((form.get('username') ?? '').trim())
  const errors: FormErrors = {}
  const usernameError = username ? usernameProblem(username) : 'This field is required.'
  if (usernameError) errors.username = [usernameError]
  Object.assign(errors, passwordErrors({ username }, form))
  const render = (status: 400) =>
    c.html(<UserAddPage session={c.get('session')!} username={username} errors={errors} />, status)
  if (Object.keys(errors).length) return render(400)
  const db = c.get('db')
  const actor = actorOf(c)
  const password = await hashPassword(form.get('password1')!)
  try {
    const [[user]] = await db.batch([
      insertUserStatement(db, { username, password }),
      logAdminAction(db, {
        actor,
        objectType: 'user',
        objectId: userIdByUsername(db, username),
        objectRepr: username,
        action: 'add',
      }),
    ])
    log(c, 'info', { event: 'admin_user_added', userId: user!.id, actorId: actor.id })
    return c.redirect(`${BASE}/${user!.id}/change/?added`, 303)
  } catch (err) {
    if (!isUniqueViolation(err)) throw err
    errors.username = ['A user with that username already exists.']
    return render(400)
  }
})

/** The user of the path, with their groups and owned applications; undefined if there is none. */
const userOfPath = async (c: Context<AppEnv>) => {
  const id = pathId(c)
  return id === undefined ? undefined : userForAdmin(c.get('db'), id)
}

const NOTICES: Record<string, string> = {
  added: 'The user was added. You may edit it again below.',
  saved: 'The user was changed.',
  password: 'The password was changed; the user was signed out everywhere.',
}
const noticeOf = (c: Context<AppEnv>) => Object.keys(NOTICES).find((k) => c.req.query(k) !== undefined)

async function changePage(
  c: Context<AppEnv>,
  found: NonNullable<Awaited<ReturnType<typeof userForAdmin>>>,
  status: 200 | 400 = 200,
  errors?: FormErrors,
  user: AdminUser = found.user,
) {
  const notice = noticeOf(c)
  return c.html(
    <UserChangePage
      session={c.get('session')!}
      user={user}
      groupIds={found.groupIds}
      groups={found.groups}
      history={await adminActionsOn(c.get('db'), 'user', found.user.id)}
      errors={errors}
      notice={notice && NOTICES[notice]}
      mayChange={mayManage(actorOf(c), found.user)}
    />,
    status,
  )
}

adminUserRoutes.get(`${BASE}/:id/change/`, async (c) => {
  const found = await userOfPath(c)
  return found ? changePage(c, found) : missing(c, 'User')
})

const FIELD_LABELS: Record<string, string> = {
  username: 'username',
  firstName: 'first name',
  lastName: 'last name',
  email: 'email',
  isActive: 'active',
  isStaff: 'staff status',
  isSuperuser: 'superuser status',
}

adminUserRoutes.post(`${BASE}/:id/change/`, async (c) => {
  const form = await adminForm(c)
  if (!form) return csrfRefused(c)
  const found = await userOfPath(c)
  if (!found) return missing(c, 'User')
  const actor = actorOf(c)
  if (!mayManage(actor, found.user) || forgesPrivileges(c, form)) return superuserOnly(c)
  const { user } = found
  const errors: FormErrors = {}
  const username = normalizeUsername((form.get('username') ?? '').trim())
  const usernameError = username ? usernameProblem(username) : 'This field is required.'
  if (usernameError) errors.username = [usernameError]
  const text = (name: string, max: number) => {
    const value = (form.get(name) ?? '').trim()
    if ([...value].length > max) errors[name] = [`Ensure this value has at most ${max} characters.`]
    return value
  }
  const firstName = text('first_name', 150)
  const lastName = text('last_name', 150)
  const email = text('email', 254)
  if (email && !isValidEmail(email)) errors.email = ['Enter a valid email address.']
  const groupIds = idsOf(form, 'groups')
  if (!groupIds || (await existingGroupIds(c.get('db'), groupIds)).length !== groupIds.length)
    errors.groups = ['Select a valid choice.']
  const changes = {
    username,
    firstName,
    lastName,
    email,
    isActive: form.has('is_active'),
    // A staff user who is not a superuser never sends these (refused above): theirs stay as they are.
    isStaff: actor.isSuperuser ? form.has('is_staff') : user.isStaff,
    isSuperuser: actor.isSuperuser ? form.has('is_superuser') : user.isSuperuser,
  }
  if (Object.keys(errors).length) return changePage(c, found, 400, errors, { ...user, ...changes })

  const changed = (Object.keys(changes) as Array<keyof typeof changes>).filter((k) => changes[k] !== user[k])
  const groupsChanged =
    groupIds!.length !== found.groupIds.length || groupIds!.some((id) => !found.groupIds.includes(id))
  const message = [...changed.map((k) => FIELD_LABELS[k]), ...(groupsChanged ? ['groups'] : [])]
  const db = c.get('db')
  const deps = tokenDepsFor(c.env, db)
  // Deactivation ends what the user holds in the same batch as the flag (a partial write could
  // leave a deactivated user with live tokens).
  const deactivating = user.isActive && !changes.isActive
  const plan = deactivating ? planRevokeAll(deps, { userId: user.id, endSessionsOf: user.id }) : undefined
  try {
    const results = await db.batch([
      ...(plan?.statements ?? []),
      updateUserStatement(db, user.id, changes),
      ...setUserGroupsStatements(db, user.id, groupIds!),
      logAdminAction(db, {
        actor,
        objectType: 'user',
        objectId: user.id,
        objectRepr: username,
        action: 'change',
        message: message.length ? `Changed ${message.join(', ')}.` : 'No fields changed.',
      }),
    ] as unknown as Parameters<typeof db.batch>[0])
    const revoked = plan ? await plan.afterCommit(results) : undefined
    log(c, 'info', { event: 'admin_user_changed', userId: user.id, actorId: actor.id, revoked: revoked?.revoked ?? 0 })
  } catch (err) {
    if (!isUniqueViolation(err)) throw err
    errors.username = ['A user with that username already exists.']
    return changePage(c, found, 400, errors, { ...user, ...changes })
  }
  return c.redirect(`${BASE}/${user.id}/change/?saved`, 303)
})

adminUserRoutes.get(`${BASE}/:id/password/`, async (c) => {
  const found = await userOfPath(c)
  return found ? c.html(<UserPasswordPage session={c.get('session')!} user={found.user} />) : missing(c, 'User')
})

adminUserRoutes.post(`${BASE}/:id/password/`, async (c) => {
  const form = await adminForm(c)
  if (!form) return csrfRefused(c)
  const found = await userOfPath(c)
  if (!found) return missing(c, 'User')
  const actor = actorOf(c)
  if (!mayManage(actor, found.user)) return superuserOnly(c)
  const errors = passwordErrors(found.user, form)
  if (Object.keys(errors).length)
    return c.html(<UserPasswordPage session={c.get('session')!} user={found.user} errors={errors} />, 400)
  const db = c.get('db')
  const password = await hashPassword(form.get('password1')!)
  // The new hash and the end of the user's sessions commit together, as on the user's own page.
  await db.batch([
    updateUserStatement(db, found.user.id, { password }),
    deleteSessionsOf(db, found.user.id),
    logAdminAction(db, {
      actor,
      objectType: 'user',
      objectId: found.user.id,
      objectRepr: found.user.username,
      action: 'change',
      message: 'Changed password.',
    }),
  ])
  log(c, 'info', { event: 'admin_password_set', userId: found.user.id, actorId: actor.id })
  return c.redirect(`${BASE}/${found.user.id}/change/?password`, 303)
})

adminUserRoutes.get(`${BASE}/:id/delete/`, async (c) => {
  const found = await userOfPath(c)
  if (!found) return missing(c, 'User')
  const { user, applications } = found
  return c.html(
    <ConfirmDeletePage
      session={c.get('session')!}
      kind="user"
      name={user.username}
      listUrl={[`${BASE}/`, 'Users']}
      action={`${BASE}/${user.id}/delete/`}
      cancel={`${BASE}/${user.id}/change/`}
      consequences={
        <>
          <p>Every token the user holds is revoked at once and every browser they are signed in on is signed out.</p>
          {applications.length > 0 && (
            <>
              <p>
                The applications they own are deleted with them, and every token those applications hold ends at once:
              </p>
              <ul>
                {applications.map((a) => (
                  <li>{a.name || a.clientId}</li>
                ))}
              </ul>
            </>
          )}
        </>
      }
    />,
  )
})

adminUserRoutes.post(`${BASE}/:id/delete/`, async (c) => {
  const form = await adminForm(c)
  if (!form) return csrfRefused(c)
  const found = await userOfPath(c)
  if (!found) return missing(c, 'User')
  const actor = actorOf(c)
  if (!mayManage(actor, found.user)) return superuserOnly(c)
  const { user } = found
  const db = c.get('db')
  const deps = tokenDepsFor(c.env, db)
  // Before the delete, whose cascade removes the rows the revocation reads: the user's grants,
  // and every grant to the applications they own (deleted with them).
  const plan = planRevokeAll(deps, { userId: user.id, endSessionsOf: user.id }, { applicationOwnerId: user.id })
  const results = await db.batch([
    ...plan.statements,
    logAdminAction(db, { actor, objectType: 'user', objectId: user.id, objectRepr: user.username, action: 'delete' }),
    deleteUserStatement(db, user.id),
  ] as unknown as Parameters<typeof db.batch>[0])
  const { revoked } = await plan.afterCommit(results)
  log(c, 'info', { event: 'admin_user_deleted', userId: user.id, actorId: actor.id, revoked })
  return c.redirect(`${BASE}/?deleted`, 303)
})

for (const [path, allow] of [
  [`${BASE}/`, 'GET, HEAD'],
  [`${BASE}/:id/change/`, 'GET, HEAD, POST'],
  [`${BASE}/:id/password/`, 'GET, HEAD, POST'],
  [`${BASE}/:id/delete/`, 'GET, HEAD, POST'],
] as const)
  adminUserRoutes.all(path, methodNotAllowed(allow))
