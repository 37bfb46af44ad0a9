/** @module The admin's user pages: list, add, change (with the history), set password. */
import type { FC } from 'hono/jsx'
import type { Session } from '../../session'
import { sessionCsrfToken } from '../../csrf'
import type { AdminGroup, AdminUser } from '../../../store/admin-accounts'
import type { AdminLogEntry } from '../../../store/admin-log'
import { CsrfInput } from '../layout'
import { Field } from '../field'
import { AdminFrame, type AdminListProps, Check, History, Multi, Pager, Search, when } from './parts'

export type FormErrors = Record<string, string[]>
const USERS: [string, string] = ['/admin/auth/user/', 'Users']

const yesNo = (v: boolean) => (v ? 'Yes' : 'No')

type ListProps = AdminListProps<AdminUser>

const FilterLinks: FC<{ name: string; label: string; query: URLSearchParams }> = ({ name, label, query }) => {
  const link = (value?: string) => {
    const q = new URLSearchParams(query)
    q.delete('p')
    if (value === undefined) q.delete(name)
    else q.set(name, value)
    return `?${q}`
  }
  return (
    <span class="small">
      {label}: <a href={link()}>All</a> · <a href={link('1')}>Yes</a> · <a href={link('0')}>No</a>{' '}
    </span>
  )
}

export const UserListPage: FC<ListProps> = ({ session, rows, total, page, query, notice }) => (
  <AdminFrame session={session} title="Users" notice={notice}>
    <Search
      q={query.get('q') ?? ''}
      hidden={{
        is_active__exact: query.get('is_active__exact') ?? undefined,
        is_staff__exact: query.get('is_staff__exact') ?? undefined,
      }}
    />
    <p>
      <FilterLinks name="is_active__exact" label="Active" query={query} />
      <FilterLinks name="is_staff__exact" label="Staff" query={query} />
    </p>
    <div class="card">
      <table class="list">
        <thead>
          <tr>
            <th>Username</th>
            <th>Email</th>
            <th>Name</th>
            <th>Active</th>
            <th>Staff</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((u) => (
            <tr>
              <td>
                <a href={`/admin/auth/user/${u.id}/change/`}>{u.username}</a>
              </td>
              <td>{u.email}</td>
              <td>{`${u.firstName} ${u.lastName}`.trim()}</td>
              <td>{yesNo(u.isActive)}</td>
              <td>{yesNo(u.isStaff)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager total={total} page={page} query={query} />
      <div class="actions">
        <a class="button" href="/admin/auth/user/add/">
          Add user
        </a>
      </div>
    </div>
  </AdminFrame>
)

const PasswordFields: FC<{ errors: FormErrors }> = ({ errors }) => (
  <>
    <Field id="id_password1" label="Password" errors={errors.password1}>
      <input type="password" id="id_password1" name="password1" autocomplete="new-password" required />
    </Field>
    <Field
      id="id_password2"
      label="Password confirmation"
      hint="Enter the same password as before."
      errors={errors.password2}
    >
      <input type="password" id="id_password2" name="password2" autocomplete="new-password" required />
    </Field>
  </>
)

const ErrorNote: FC<{ errors: FormErrors }> = ({ errors }) =>
  Object.keys(errors).length > 0 ? (
    <div class="alert error" role="alert">
      Please correct the errors below.
    </div>
  ) : null

export const UserAddPage: FC<{ session: Session; username?: string; errors?: FormErrors }> = ({
  session,
  username = '',
  errors = {},
}) => (
  <AdminFrame session={session} title="Add user" crumbs={[USERS]}>
    <form class="card" method="post" action="/admin/auth/user/add/" novalidate>
      <ErrorNote errors={errors} />
      <Field
        id="id_username"
        label="Username"
        hint="150 characters or fewer. Letters, digits and @/./+/-/_ only."
        errors={errors.username}
      >
        <input type="text" id="id_username" name="username" value={username} maxlength={150} required />
      </Field>
      <PasswordFields errors={errors} />
      <CsrfInput token={sessionCsrfToken(session)} />
      <div class="actions">
        <button type="submit">Save</button>
      </div>
    </form>
  </AdminFrame>
)

type ChangeProps = {
  session: Session
  user: AdminUser
  groupIds: number[]
  groups: AdminGroup[]
  history: AdminLogEntry[]
  errors?: FormErrors
  notice?: string
  /** Whether the signed-in staff user may change this account (a superuser's: only a superuser). */
  mayChange: boolean
}

export const UserChangePage: FC<ChangeProps> = ({
  session,
  user,
  groupIds,
  groups,
  history,
  errors = {},
  notice,
  mayChange,
}) => {
  const superuser = session.user.isSuperuser
  const csrf = sessionCsrfToken(session)
  return (
    <AdminFrame session={session} title={`Change user “${user.username}”`} crumbs={[USERS]} notice={notice}>
      {!mayChange && (
        <div class="alert warn" role="status">
          This is a superuser’s account: only a superuser may change it.
        </div>
      )}
      <form class="card" method="post" action={`/admin/auth/user/${user.id}/change/`} novalidate>
        <ErrorNote errors={errors} />
        <Field id="id_username" label="Username" errors={errors.username}>
          <input type="text" id="id_username" name="username" value={user.username} maxlength={150} required />
        </Field>
        <p class="small">
          Password: stored hashed. <a href={`/admin/auth/user/${user.id}/password/`}>Set a new password</a>
        </p>
        <Field id="id_first_name" label="First name" errors={errors.first_name}>
          <input type="text" id="id_first_name" name="first_name" value={user.firstName} maxlength={150} />
        </Field>
        <Field id="id_last_name" label="Last name" errors={errors.last_name}>
          <input type="text" id="id_last_name" name="last_name" value={user.lastName} maxlength={150} />
        </Field>
        <Field id="id_email" label="Email address" errors={errors.email}>
          <input type="email" id="id_email" name="email" value={user.email} maxlength={254} />
        </Field>
        <Check
          name="is_active"
          label="Active"
          checked={user.isActive}
          hint="Unticking ends the user’s sessions and revokes every token they hold, at once."
        />
        {superuser ? (
          <>
            <Check name="is_staff" label="Staff status" checked={user.isStaff} hint="May use this admin site." />
            <Check name="is_superuser" label="Superuser status" checked={user.isSuperuser} />
          </>
        ) : (
          <p class="small" id="privileges">
            Staff status: {yesNo(user.isStaff)} · Superuser status: {yesNo(user.isSuperuser)}{' '}
            <span class="muted">(only a superuser changes these)</span>
          </p>
        )}
        <Multi name="groups" label="Groups" options={groups.map((g) => [g.id, g.name])} selected={groupIds} />
        <p class="small muted">
          Joined {when(user.dateJoined)}
          {user.lastLogin ? ` · last sign-in ${when(user.lastLogin)}` : ''}
        </p>
        <CsrfInput token={csrf} />
        <div class="actions">
          <button type="submit">Save</button>
          <a class="button danger" href={`/admin/auth/user/${user.id}/delete/`}>
            Delete
          </a>
        </div>
      </form>
      <History entries={history} />
    </AdminFrame>
  )
}

export const UserPasswordPage: FC<{ session: Session; user: AdminUser; errors?: FormErrors }> = ({
  session,
  user,
  errors = {},
}) => (
  <AdminFrame
    session={session}
    title={`Change password: ${user.username}`}
    crumbs={[USERS, [`/admin/auth/user/${user.id}/change/`, user.username]]}
  >
    <form class="card" method="post" action={`/admin/auth/user/${user.id}/password/`} novalidate>
      <ErrorNote errors={errors} />
      <p class="small">Setting a password signs the user out of every browser. Their OAuth tokens stay valid.</p>
      <PasswordFields errors={errors} />
      <CsrfInput token={sessionCsrfToken(session)} />
      <div class="actions">
        <button type="submit">Change password</button>
      </div>
    </form>
  </AdminFrame>
)
